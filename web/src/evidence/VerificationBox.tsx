// The outcome of checking an export against its signed manifest: each check that held, or why not.
export function VerificationBox({ verdict }: { verdict: { ok: boolean; checks: string[]; problems: string[] } }) {
  return (
    <div class={`card verdict ${verdict.ok ? "ok" : "bad"}`} role="status" data-verified={verdict.ok ? "yes" : "no"}>
      <strong>{verdict.ok ? "✓ Verified: this is the recording as exported" : "✗ Not verified"}</strong>
      <ul>
        {verdict.checks.map((c) => (
          <li key={c}>✓ {c}</li>
        ))}
        {verdict.problems.map((p) => (
          <li key={p} class="error">
            ✗ {p}
          </li>
        ))}
      </ul>
    </div>
  );
}
