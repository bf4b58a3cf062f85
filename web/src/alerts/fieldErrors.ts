// Which field an API refusal names: the alerts API says "<field>: <why>" (after "body: " when the rule
// checks refused it, or as "body.<field>: <why>" when the request model did),
// so the editor can put the sentence next to that field instead of at the top of the page. A Chinese
// answer writes the colon as "：" (issue 31).

/** `{field, message}` of a 400 message, or null when it names no field. */
export function fieldOf(message: string): { field: string; message: string } | null {
  const text = message.replace(/^body(: |：|\.)/, "");
  const m = /^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?)(: |：)/.exec(text);
  return m ? { field: m[1], message: text } : null;
}

/** The error for `field` (or any field under it: "schedule" also takes "schedule[0].start"). */
export function errorFor(errors: Record<string, string>, field: string): string | null {
  if (errors[field]) return errors[field];
  const under = Object.keys(errors).find((k) => k.startsWith(`${field}.`) || k.startsWith(`${field}[`));
  return under ? errors[under] : null;
}
