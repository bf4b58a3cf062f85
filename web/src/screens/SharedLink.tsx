// What a share link shows (issue 26): the export's video, its download, the manifest and the check of
// the stored file against it. Public: the link is the credential; nothing else of the site is reachable.
import { SharedFiles } from "../share/SharedFiles";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../api";
import { evidenceApi, type SharedExport } from "../api-evidence";
import { VerificationBox } from "../evidence/VerificationBox";
import { formatBytes, formatDuration } from "../time";
import { Time } from "../ui/Time";
import { useT } from "../i18n";

// a command the reader types as is: the same in every language
const VERIFY_COMMAND = "vigil verify FILE.mp4 --manifest M --public-key K";

type View =
  | { kind: "loading" }
  | { kind: "password"; error: string | null }
  | { kind: "gone"; message: string }
  | { kind: "error"; message: string }
  | { kind: "ready"; doc: SharedExport };

function fromError(e: unknown): View {
  if (e instanceof ApiError) {
    if (e.status === 401 && e.code === "password_required") return { kind: "password", error: null };
    if (e.status === 410 || e.status === 404) return { kind: "gone", message: e.message };
  }
  return { kind: "error", message: (e as Error).message };
}

export function SharedLink({ token }: { token: string }) {
  const t = useT();
  const [view, setView] = useState<View>({ kind: "loading" });
  const [password, setPassword] = useState("");

  useEffect(() => {
    evidenceApi.open(token).then(
      (doc) => setView({ kind: "ready", doc }),
      (e: unknown) => setView(fromError(e)),
    );
  }, [token]);

  const unlock = async (ev: Event) => {
    ev.preventDefault();
    try {
      setView({ kind: "ready", doc: await evidenceApi.unlock(token, password) });
    } catch (e) {
      const next = fromError(e);
      setView(next.kind === "error" || next.kind === "password" ? { kind: "password", error: (e as Error).message } : next);
    }
  };

  return (
    <main class="page shared">
      <h1>{t("share.title")}</h1>
      {view.kind === "loading" && <p aria-busy="true">{t("share.opening")}</p>}
      {view.kind === "gone" && (
        <p class="error" role="alert" data-gone>
          {view.message}
        </p>
      )}
      {view.kind === "error" && (
        <p class="error" role="alert">
          {view.message}
        </p>
      )}
      {view.kind === "password" && (
        <form class="card" onSubmit={unlock} aria-label={t("share.asksPassword")}>
          <p>{t("share.asksPassword")}</p>
          <label>
            {t("share.password")}{" "}
            <input type="password" value={password} required autoComplete="off"
              onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
          </label>{" "}
          <button type="submit">{t("share.open")}</button>
          {view.error && (
            <p class="error" role="alert">
              {view.error}
            </p>
          )}
        </form>
      )}
      {view.kind === "ready" && (
        <section aria-label={t("share.export")}>
          <h2>
            {view.doc.camera}: <Time ms={view.doc.start} /> – <Time ms={view.doc.end} />
          </h2>
          <video class="shared-video" src={view.doc.video_url} controls playsInline preload="metadata" />
          <p>
            {t("share.ofVideo", { size: formatBytes(view.doc.size ?? 0), duration: formatDuration((view.doc.duration ?? 0) * 1000) })}{" "}
            {t("share.worksUntil")} <Time ms={view.doc.link_expires} />
            {t("share.fullStop")}
          </p>
          <div class="controls">
            <a class="button" href={view.doc.download_url} download={view.doc.filename}>
              {t("share.downloadMp4")}
            </a>
            {view.doc.manifest_url && (
              <a class="button" href={view.doc.manifest_url}>
                {t("share.manifest")}
              </a>
            )}
            <a class="button" href={view.doc.public_key_url}>
              {t("share.publicKey")}
            </a>
          </div>
          <SharedFiles files={view.doc.files ?? []} />
          <VerificationBox verdict={view.doc.verification} />
          <p class="hint">
            {t("share.offline")} <code translate={false}>{VERIFY_COMMAND}</code>{" "}
            {t("share.offlineDocs")}
          </p>
        </section>
      )}
    </main>
  );
}
