// What the api accepts for names, ids and passwords (api/models.py), said in plain words before a
// form is sent and checked in the page, so a mistake is explained next to its field instead of as
// the validator's text at the top of the page.

export const RULES = {
  userName: "2–64 characters: lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. bob.smith).",
  password: "At least 12 characters.",
  cameraId: "3–63 characters: lower-case letters, digits and dashes, starting with a letter or digit (e.g. cam-front).",
} as const;

const USER_NAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const CAMERA_ID = /^[a-z0-9][a-z0-9-]{2,62}$/;

export function userNameProblem(name: string): string | null {
  const n = name.trim();
  if (!n) return "Type a user name.";
  if (/\s/.test(n)) return `“${n}” has a space: user names are one word, e.g. ${n.toLowerCase().split(/\s+/).join(".")}.`;
  if (n !== n.toLowerCase()) return `Use lower-case letters: ${n.toLowerCase()}.`;
  if (!USER_NAME.test(n)) return `“${n}” is not a user name. ${RULES.userName}`;
  return null;
}

export function passwordProblem(password: string): string | null {
  if (password.length < 12) return `The password is ${password.length} characters long; it needs at least 12.`;
  if (password.length > 1024) return "The password is longer than 1024 characters.";
  return null;
}

export function cameraIdProblem(id: string): string | null {
  const n = id.trim();
  if (!n) return "Type a camera id.";
  if (!CAMERA_ID.test(n)) return `“${n}” is not a camera id. ${RULES.cameraId}`;
  return null;
}

/** A comma- or space-separated list of camera ids (empty: all cameras). */
export function cameraListProblem(text: string): string | null {
  const bad = text.split(/[\s,]+/).filter(Boolean).filter((id) => cameraIdProblem(id) !== null);
  return bad.length ? `Not camera ids: ${bad.join(", ")}. ${RULES.cameraId}` : null;
}
