// Editing one rule in the page: schedule, quiet hours, zones, time zone, language, cool-down and the
// daily digest flag (before, only the API and the CLI could). What the API refuses is shown next to
// the field it names ("schedule[0].start: …" under that window), the rest above the buttons.
import { useState } from "preact/hooks";
import { alertsApi, type Rule, type Window } from "../api-alerts";
import { useT, words, type Words } from "../i18n";
import { Field, FieldNote } from "../ui/Field";
import { errorFor, fieldOf } from "./fieldErrors";
import { DAYS, WindowEditor } from "./WindowEditor";

const NEW_WINDOW: Window = { days: [...DAYS.slice(0, 5)], start: "08:00", end: "18:00" };
const NEW_QUIET: Window = { days: [...DAYS], start: "23:00", end: "07:00" };

export function RuleEditor(props: { rule: Rule; onSaved: (message: Words, saved: Rule) => void; onClose: () => void }) {
  const t = useT();
  const [draft, setDraft] = useState<Rule>({ ...props.rule, language: props.rule.language ?? "en" });
  const [zones, setZones] = useState(props.rule.zones.join(", "));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Rule>) => setDraft({ ...draft, ...patch });
  const activity = draft.kind === "activity";
  const note = (field: string) => <FieldNote id={`rule-${field}-note`} error={errorFor(errors, field)} />;

  const save = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    const rule: Rule = { ...draft, zones: zones.split(",").map((z) => z.trim()).filter(Boolean) };
    try {
      const saved = await alertsApi.saveRule(rule);
      setErrors({});
      setGeneral(null);
      props.onSaved(words("alerts.editor.saved", { id: rule.id }), saved ?? rule);
    } catch (e) {
      const message = (e as Error).message;
      const named = fieldOf(message);
      setErrors(named ? { [named.field]: named.message } : {});
      setGeneral(named ? null : message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="rule-editor" aria-label={t("alerts.editor.title", { id: draft.id })} onSubmit={save}>
      <h3>{t("alerts.editor.title", { id: draft.id })}</h3>
      <Field label={t("alerts.editor.name")} note={note("name")}>
        <input value={draft.name} onInput={(e) => set({ name: e.currentTarget.value })} />
      </Field>
      <Field label={t("alerts.editor.timezone")} note={note("timezone")}>
        <input value={draft.timezone} onInput={(e) => set({ timezone: e.currentTarget.value })} />
      </Field>
      <Field label={t("alerts.editor.language")} note={note("language")}>
        <select value={draft.language} onChange={(e) => set({ language: e.currentTarget.value as Rule["language"] })}>
          <option value="en">{t("alerts.editor.languages.en")}</option>
          <option value="zh-CN">{t("alerts.editor.languages.zhCN")}</option>
        </select>
      </Field>
      <Field label={t("alerts.editor.cooldown")} note={note("cooldown_minutes")}>
        <input type="number" value={draft.cooldown_minutes} onInput={(e) => set({ cooldown_minutes: Number(e.currentTarget.value) })} />
      </Field>
      {activity && (
        <>
          <Field label={t("alerts.editor.zones")} note={note("zones")}>
            <input value={zones} placeholder={t("alerts.editor.anyZone")} onInput={(e) => setZones(e.currentTarget.value)} />
          </Field>
          <Field label={t("alerts.editor.minScore")} note={note("min_score")}>
            <input type="number" step="0.05" value={draft.min_score} onInput={(e) => set({ min_score: Number(e.currentTarget.value) })} />
          </Field>
          <div class="schedule" role="group" aria-label={t("alerts.editor.schedule")}>
            <p>{draft.schedule.length ? t("alerts.editor.schedule") : t("alerts.editor.always")}</p>
            {draft.schedule.map((w, i) => (
              <WindowEditor
                key={i}
                value={w}
                label={t("alerts.editor.window", { n: i + 1 })}
                error={errorFor(errors, `schedule[${i}]`)}
                onChange={(nw) => set({ schedule: draft.schedule.map((x, j) => (j === i ? nw : x)) })}
                onRemove={() => set({ schedule: draft.schedule.filter((_, j) => j !== i) })}
              />
            ))}
            {errors.schedule && (
              <span class="field-error" role="alert">
                {errors.schedule}
              </span>
            )}
            <button type="button" onClick={() => set({ schedule: [...draft.schedule, { ...NEW_WINDOW }] })}>
              {t("alerts.editor.addWindow")}
            </button>
          </div>
        </>
      )}
      <label>
        <input type="checkbox" checked={draft.quiet_hours !== null} onChange={() => set({ quiet_hours: draft.quiet_hours ? null : { ...NEW_QUIET } })} />
        {t("alerts.editor.quietHours")}
      </label>
      {draft.quiet_hours && (
        <WindowEditor value={draft.quiet_hours} label={t("alerts.editor.quietHours")} error={errorFor(errors, "quiet_hours")} onChange={(w) => set({ quiet_hours: w })} />
      )}
      <label>
        <input type="checkbox" checked={draft.digest} onChange={() => set({ digest: !draft.digest })} />
        {t("alerts.editor.inDigest")}
      </label>
      {general && (
        <p class="error" role="alert">
          {general}
        </p>
      )}
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {t("alerts.editor.save")}
        </button>
        <button type="button" class="secondary" onClick={props.onClose}>
          {t("alerts.editor.close")}
        </button>
      </div>
    </form>
  );
}

/** The "Edit" button of a rule's row in the rules table. */
export function EditRuleButton(props: { id: string; onClick: () => void }) {
  const t = useT();
  return (
    <button type="button" aria-label={t("alerts.editor.editRule", { id: props.id })} onClick={props.onClick}>
      {t("alerts.editor.edit")}
    </button>
  );
}
