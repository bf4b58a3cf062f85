// Your own daily digest in the page: which channel, at what local hour, in which zone; or none.
import { useEffect, useState } from "preact/hooks";
import { alertsApi, type Channel, type Digest } from "../api-alerts";
import { textOf, useT, words, type Words } from "../i18n";
import { Field, FieldNote } from "../ui/Field";
import { errorFor, fieldOf } from "./fieldErrors";

export function DigestEditor(props: { channels: Channel[] }) {
  const t = useT();
  const [digest, setDigest] = useState<Digest | null | undefined>(undefined);
  const [draft, setDraft] = useState<Digest>({ channel: "", hour: 8, timezone: "UTC" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<Words | null>(null);
  const [general, setGeneral] = useState<string | null>(null);

  useEffect(() => {
    alertsApi
      .digest()
      .then((d) => {
        setDigest(d);
        if (d) setDraft({ channel: d.channel, hour: d.hour, timezone: d.timezone });
      })
      .catch((e: Error) => setGeneral(e.message));
  }, []);

  const fail = (e: unknown) => {
    const message = (e as Error).message;
    const named = fieldOf(message);
    setErrors(named ? { [named.field]: named.message } : {});
    setGeneral(named ? null : message);
    setStatus(null);
  };
  const save = async (ev: Event) => {
    ev.preventDefault();
    try {
      setDigest(await alertsApi.saveDigest(draft));
      setErrors({});
      setGeneral(null);
      setStatus(words("alerts.digest.saved", { hour: String(draft.hour).padStart(2, "0"), timezone: draft.timezone }));
    } catch (e) {
      fail(e);
    }
  };
  const remove = async () => {
    try {
      await alertsApi.removeDigest();
      setDigest(null);
      setStatus(words("alerts.digest.removed"));
    } catch (e) {
      fail(e);
    }
  };
  const note = (field: string) => <FieldNote id={`digest-${field}-note`} error={errorFor(errors, field)} />;

  return (
    <section aria-label={t("alerts.digest.title")}>
      <h2>{t("alerts.digest.title")}</h2>
      {digest === undefined && !general && <p aria-busy="true">{t("alerts.digest.loading")}</p>}
      {digest === null && <p>{t("alerts.digest.none")}</p>}
      <form class="inline" aria-label={t("alerts.digest.form")} onSubmit={save}>
        <Field label={t("alerts.digest.channel")} note={note("channel")}>
          <select value={draft.channel} onChange={(e) => setDraft({ ...draft, channel: e.currentTarget.value })}>
            <option value="">{t("alerts.digest.pickChannel")}</option>
            {props.channels.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("alerts.digest.hour")} note={note("hour")}>
          <input type="number" value={draft.hour} onInput={(e) => setDraft({ ...draft, hour: Number(e.currentTarget.value) })} />
        </Field>
        <Field label={t("alerts.digest.timezone")} note={note("timezone")}>
          <input value={draft.timezone} onInput={(e) => setDraft({ ...draft, timezone: e.currentTarget.value })} />
        </Field>
        <button type="submit">{t("alerts.digest.save")}</button>
        {digest && (
          <button type="button" class="secondary" onClick={() => void remove()}>
            {t("alerts.digest.remove")}
          </button>
        )}
      </form>
      {general && (
        <p class="error" role="alert">
          {general}
        </p>
      )}
      {status && <p role="status">{textOf(status)}</p>}
    </section>
  );
}
