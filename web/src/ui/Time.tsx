// A local wall-clock time with the UTC instant on hover and in `datetime`.
import { formatLocal, formatUtc } from "../time";

export function Time({ ms, withMs = false, class: cls }: { ms: number | null; withMs?: boolean; class?: string }) {
  if (ms === null) return <span class={cls}>—</span>;
  return (
    <time class={cls} dateTime={new Date(ms).toISOString()} title={formatUtc(ms)}>
      {formatLocal(ms, withMs)}
    </time>
  );
}
