// Your exports: state, progress, why one failed (and Retry), download once done, pin, delete.
// Refreshed every 2 s while one is queued or running.
import { useEffect, useState } from "preact/hooks";
import { exportsApi, type ExportJob } from "../api-live-export";
import { SharedLinks, VerifyPanel } from "../evidence/EvidencePanel";
import { ShareBox } from "../evidence/ShareBox";
import { Still } from "../pictures/Still";
import { formatBytes, formatDuration } from "../time";
import { Time } from "../ui/Time";

/** A keyframe's lead is often under a second: say 0.4 s, not 0 s. */
function leadText(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}

export function Exports() {
  const [jobs, setJobs] = useState<ExportJob[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [shared, setShared] = useState(0);

  useEffect(() => {
    let alive = true;
    exportsApi
      .list()
      .then((r) => alive && (setJobs(r.exports), setError(null)))
      .catch((e: Error) => alive && setError(e.message));
    return () => {
      alive = false;
    };
  }, [tick]);

  const busy = jobs?.some((j) => j.state === "queued" || j.state === "running") ?? false;
  useEffect(() => {
    if (!busy) return;
    const id = setInterval(() => setTick((t) => t + 1), 2000);
    return () => clearInterval(id);
  }, [busy]);

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      setError((e as Error).message);
    }
    setTick((t) => t + 1);
  };

  const download = async (job: ExportJob, what: "mp4" | "manifest" = "mp4") => {
    const fresh = await exportsApi.get(job.id);   // presigned URLs are short-lived: sign at click time
    const url = what === "mp4" ? fresh.url : fresh.manifest_url;
    if (!url) return;
    const a = document.createElement("a");
    a.href = url;
    a.download = what === "mp4" ? (fresh.filename ?? `${job.id}.mp4`) : `${job.id}.manifest.json`;
    a.rel = "noopener";
    document.body.appendChild(a);
    a.click();
    a.remove();
  };

  return (
    <main class="page">
      <h1>Exports</h1>
      <p class="hint">Select a range on a camera's timeline and press Export. Exports are kept for a few days unless pinned.</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {jobs === null && !error && <p aria-busy="true">Loading exports…</p>}
      {jobs?.length === 0 && <p>No exports yet.</p>}
      <ul class="exports" aria-label="Exports">
        {jobs?.map((j) => (
          <li key={j.id} class={`card export ${j.state}`} data-export={j.id} data-state={j.state}>
            <h2>
              {j.camera}: <Time ms={j.start} /> – <Time ms={j.end} />
            </h2>
            <Still camera={j.camera} at={typeof j.covered_start === "number" ? j.covered_start : j.start} width={160} class="export-first" />
            <p>
              <span class="state">{j.state}</span>
              {(j.state === "queued" || j.state === "running") && (
                <progress max={1} value={j.progress} aria-label={`Export progress ${Math.round(j.progress * 100)} %`} />
              )}
              {j.state === "done" && (
                <span>
                  {" "}
                  {formatBytes(j.size ?? 0)}, {formatDuration((j.duration ?? 0) * 1000)} of video
                  {j.gaps.length > 0 && `, ${j.gaps.length} gap${j.gaps.length === 1 ? "" : "s"} not recorded`}
                </span>
              )}
            </p>
            {j.state === "done" && typeof j.covered_start === "number" && typeof j.covered_end === "number" && (
              <p class="covered">
                The file covers <Time ms={j.covered_start} /> – <Time ms={j.covered_end} />
                {(j.start_lead_ms ?? 0) > 0 &&
                  ` (from the keyframe ${leadText(j.start_lead_ms ?? 0)} before the start you chose)`}
              </p>
            )}
            {j.state === "failed" && (
              <p class="error" role="alert">
                {j.error ?? "The export failed."}
              </p>
            )}
            {j.gaps.length > 0 && (
              <ul class="gaps" aria-label="Gaps">
                {j.gaps.map((g) => (
                  <li key={g.start}>
                    Gap <Time ms={g.start} /> – <Time ms={g.end} /> ({formatDuration(g.end - g.start)}): {g.reason}
                  </li>
                ))}
              </ul>
            )}
            <div class="controls">
              {j.state === "done" && (
                <button type="button" onClick={() => void act(() => download(j))} aria-label="Download export">
                  ⬇ Download MP4
                </button>
              )}
              {j.state === "done" && j.sha256 && (
                <button type="button" onClick={() => void act(() => download(j, "manifest"))} aria-label="Download signed manifest">
                  Signed manifest
                </button>
              )}
              {j.state === "done" && <ShareBox exportId={j.id} onShared={() => setShared((n) => n + 1)} />}
              {j.state === "failed" && (
                <button type="button" onClick={() => void act(() => exportsApi.retry(j.id))} aria-label="Retry export">
                  Retry
                </button>
              )}
              {j.state === "done" && (
                <button type="button" aria-pressed={j.pinned} onClick={() => void act(() => exportsApi.pin(j.id, !j.pinned))}>
                  {j.pinned ? "Pinned" : "Pin"}
                </button>
              )}
              <button type="button" class="danger" aria-label="Delete export" onClick={() => void act(() => exportsApi.remove(j.id))}>
                Delete
              </button>
            </div>
          </li>
        ))}
      </ul>
      <SharedLinks refresh={shared} />
      <VerifyPanel />
    </main>
  );
}
