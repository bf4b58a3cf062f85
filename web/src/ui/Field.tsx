// One form field with its rule under it (said before submit) and, after a failed submit, what is
// wrong with it, next to it (aria-describedby / aria-invalid, so screen readers read both).
import type { ComponentChildren } from "preact";

export function FieldNote({ id, rule, error }: { id: string; rule?: string; error?: string | null }) {
  return (
    <span class="field-note" id={id}>
      {error ? (
        <span class="field-error" role="alert">
          {error}
        </span>
      ) : (
        rule && <span class="field-rule">{rule}</span>
      )}
    </span>
  );
}

export function Field({ label, children, note }: { label: string; children: ComponentChildren; note: ComponentChildren }) {
  return (
    <div class="field">
      <label>
        {label}
        {children}
      </label>
      {note}
    </div>
  );
}
