// Checks an export against its signed manifest in the browser, as `vigil verify` does offline:
// the Ed25519 signature over the manifest's canonical JSON (keys sorted, no whitespace, UTF-8 — the
// bytes `jq -jcS .manifest` prints), then the file's SHA-256 and size against the manifest's.
// WebCrypto hashes a whole buffer, so the page checks files up to MAX_BYTES; `vigil verify` any size.

export const MAX_BYTES = 2 * 1024 ** 3;

export interface PageVerdict {
  ok: boolean;
  problems: string[];
  checks: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) for the values a
 * manifest holds (strings, integers, lists, objects). */
export function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const b64 = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function verifyInPage(manifestText: string, file: File, pem: string, keyId: string): Promise<PageVerdict> {
  const problems: string[] = [];
  const checks: string[] = [];
  let doc: { manifest?: { files?: { sha256: string; size: number }[]; key_id?: string }; signature?: { value?: string } };
  try {
    doc = JSON.parse(manifestText) as typeof doc;
  } catch {
    return { ok: false, checks, problems: ["The manifest is not JSON."] };
  }
  if (!doc.manifest || !doc.signature?.value || !Array.isArray(doc.manifest.files)) {
    return { ok: false, checks, problems: ["This is not a Vigil manifest (no manifest, signature or files)."] };
  }
  const key = await crypto.subtle.importKey("spki", pemToDer(pem), { name: "Ed25519" }, false, ["verify"]);
  const signature = Uint8Array.from(atob(doc.signature.value), (c) => c.charCodeAt(0));
  const signed = new TextEncoder().encode(canonical(doc.manifest as Json));
  const valid = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, signed);
  if (!valid) {
    const signer = doc.manifest.key_id;
    problems.push(
      signer && signer !== keyId
        ? `The manifest was signed by another key (${signer}), not this site's key (${keyId}).`
        : "The signature does not match the manifest: the manifest was changed after signing.",
    );
    return { ok: false, checks, problems };
  }
  checks.push(`The manifest's signature is valid (key ${keyId}).`);
  if (file.size > MAX_BYTES) {
    problems.push("The file is over 2 GB: check it with `vigil verify` instead.");
    return { ok: false, checks, problems };
  }
  const digest = hex(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
  const hit = doc.manifest.files.find((f) => f.sha256 === digest && f.size === file.size);
  if (hit) checks.push(`${file.name}: its SHA-256 matches the manifest.`);
  else problems.push(`${file.name}: its SHA-256 differs from the manifest's: the file was changed or is another file.`);
  return { ok: problems.length === 0, checks, problems };
}
