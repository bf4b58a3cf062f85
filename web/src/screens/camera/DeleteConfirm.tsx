// "Delete this clip?" / "Delete every clip in this range?": what a delete removes, said before it runs.
import type { Span } from "../../timeline/model";
import { Confirm } from "../../ui/Confirm";
import { Time } from "../../ui/Time";

/** A delete waiting for the admin's yes: one clip, or every clip in a range. */
export type PendingDelete = { kind: "clip"; key: string; start: number; end: number } | { kind: "range"; span: Span };

export function DeleteConfirm({ pending, onCancel, onConfirm }: { pending: PendingDelete; onCancel: () => void; onConfirm: () => void }) {
  return (
    <Confirm
      title={pending.kind === "clip" ? "Delete this clip?" : "Delete every clip in this range?"}
      confirmLabel="Delete"
      onCancel={onCancel}
      onConfirm={onConfirm}
    >
      {pending.kind === "clip" ? (
        <p>
          The clip <Time ms={pending.start} /> – <Time ms={pending.end} /> is removed from storage for good.
        </p>
      ) : (
        <p>
          Every clip from <Time ms={pending.span.start} /> to <Time ms={pending.span.end} /> is removed from storage for good.
        </p>
      )}
    </Confirm>
  );
}
