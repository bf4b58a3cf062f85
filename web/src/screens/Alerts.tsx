// The Alerts screen (admins): rules, channels, and dead letters with "Send again". Layout only: the
// requests live in api-alerts.ts; a refused form shows the API's own sentence, which names the field.
import { useEffect, useState } from "preact/hooks";
import { alertsApi, channelConfig, type Channel, type ChannelKind, type Delivery, type Rule, type RuleKind } from "../api-alerts";
import { Time } from "../ui/Time";
import { DigestEditor } from "../alerts/DigestEditor";
import { EditRuleButton, RuleEditor } from "../alerts/RuleEditor";
import { t, textOf, useT, words, type Words } from "../i18n";

// each rule kind and the catalog key of its description
const KINDS: [RuleKind, string][] = [
  ["camera_offline", "alerts.kinds.camera_offline"],
  ["upload_lag", "alerts.kinds.upload_lag"],
  ["clips_dropped", "alerts.kinds.clips_dropped"],
  ["token_errors", "alerts.kinds.token_errors"],
  ["activity", "alerts.kinds.activity"],
  ["bucket_protection", "alerts.kinds.bucket_protection"],
];

/** A rule kind's description in the language shown (the raw kind when it is a new one). */
function kindText(kind: RuleKind): string {
  const key = KINDS.find((k) => k[0] === kind)?.[1];
  return key ? t(key) : kind;
}

function useLoad<T>(load: () => Promise<T>, tick: number): [T | null, string | null] {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    load()
      .then((v) => alive && (setValue(v), setError(null)))
      .catch((e: Error) => alive && setError(e.message));
    return () => {
      alive = false;
    };
  }, [tick]);
  return [value, error];
}

export function Alerts() {
  const t = useT();
  const [tick, setTick] = useState(0);
  const refresh = () => setTick((n) => n + 1);
  const [rules, rulesError] = useLoad(alertsApi.rules, tick);
  const [channels, channelsError] = useLoad(alertsApi.channels, tick);
  const [dead, deadError] = useLoad(alertsApi.deadLetters, tick);
  const [message, setMessage] = useState<Words | null>(null);
  const [error, setError] = useState<string | null>(null);

  const act = async (fn: () => Promise<unknown>, done?: Words) => {
    try {
      await fn();
      setError(null);
      if (done) setMessage(done);
    } catch (e) {
      setError((e as Error).message);
    }
    refresh();
  };

  return (
    <main class="page alerts">
      <h1>{t("alerts.title")}</h1>
      <p class="hint">{t("alerts.intro")}</p>
      {(error || rulesError || channelsError || deadError) && (
        <p class="error" role="alert">
          {error || rulesError || channelsError || deadError}
        </p>
      )}
      {message && <p role="status">{textOf(message)}</p>}
      <Channels channels={channels?.channels ?? null} act={act} />
      <Rules rules={rules?.rules ?? null} channels={channels?.channels ?? []} act={act} />
      <DeadLetters dead={dead?.deliveries ?? null} act={act} />
      <DigestEditor channels={channels?.channels ?? []} />
    </main>
  );
}

type Act = (fn: () => Promise<unknown>, done?: Words) => Promise<void>;

function Rules(props: { rules: Rule[] | null; channels: Channel[]; act: Act }) {
  const t = useT();
  const [form, setForm] = useState({ id: "", kind: "camera_offline" as RuleKind, minutes: "5", channel: "", cameras: "" });
  const [editing, setEditing] = useState<string | null>(null);
  // a rule as its save answered, shown until the list is read again: "saved" is announced before that
  // reload lands, and an Edit pressed in between must open what was saved, not what was there before
  const [justSaved, setJustSaved] = useState<Record<string, Rule>>({});
  useEffect(() => setJustSaved({}), [props.rules]);
  const rules = props.rules?.map((r) => justSaved[r.id] ?? r) ?? null;
  const edited = rules?.find((r) => r.id === editing);
  const add = (ev: Event) => {
    ev.preventDefault();
    const cameras = form.cameras.split(",").map((s) => s.trim()).filter(Boolean);
    void props.act(
      () =>
        alertsApi.createRule({
          id: form.id,
          kind: form.kind,
          minutes: Number(form.minutes),
          channels: form.channel ? [form.channel] : [],
          cameras: cameras.length ? cameras : null,
        }),
      words("alerts.rules.added", { id: form.id }),
    );
  };
  return (
    <section aria-label={t("alerts.rules.title")}>
      <h2>{t("alerts.rules.title")}</h2>
      {rules === null && <p aria-busy="true">{t("alerts.rules.loading")}</p>}
      {rules?.length === 0 && <p>{t("alerts.rules.none")}</p>}
      {!!rules?.length && (
        <table class="list">
          <thead>
            <tr>
              <th>{t("alerts.rules.rule")}</th>
              <th>{t("alerts.rules.what")}</th>
              <th>{t("alerts.rules.cameras")}</th>
              <th>{t("alerts.rules.channels")}</th>
              <th>{t("alerts.rules.on")}</th>
              <th />
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id} data-rule={r.id}>
                <td>{r.name}</td>
                <td>
                  {r.kind === "camera_offline" ? t("alerts.rules.offlineFor", { count: r.minutes })
                    : r.kind === "upload_lag" ? t("alerts.rules.lagAbove", { count: r.minutes }) : kindText(r.kind)}
                </td>
                <td>{r.cameras === null ? t("alerts.rules.all") : r.cameras.join(", ")}</td>
                <td>{r.channels.join(", ")}</td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={t("alerts.rules.enabledOf", { id: r.id })}
                    checked={r.enabled}
                    onChange={() => void props.act(() => alertsApi.saveRule({ ...r, enabled: !r.enabled }))}
                  />
                </td>
                <td>
                  <EditRuleButton id={r.id} onClick={() => setEditing(r.id)} />
                </td>
                <td>
                  <button type="button" class="danger" aria-label={t("alerts.rules.removeOf", { id: r.id })} onClick={() => void props.act(() => alertsApi.removeRule(r.id))}>
                    {t("alerts.rules.remove")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {edited && (
        <RuleEditor
          key={edited.id}
          rule={edited}
          onSaved={(message, saved) => {
            setJustSaved({ ...justSaved, [saved.id]: saved });
            void props.act(async () => setEditing(null), message);
          }}
          onClose={() => setEditing(null)}
        />
      )}
      <form onSubmit={add} class="inline" aria-label={t("alerts.rules.form")}>
        <input aria-label={t("alerts.rules.id")} placeholder={t("alerts.rules.idExample")} value={form.id} onInput={(e) => setForm({ ...form, id: e.currentTarget.value })} />
        <select aria-label={t("alerts.rules.kind")} value={form.kind} onChange={(e) => setForm({ ...form, kind: e.currentTarget.value as RuleKind })}>
          {KINDS.map(([k, key]) => (
            <option key={k} value={k}>
              {t(key)}
            </option>
          ))}
        </select>
        <input aria-label={t("alerts.rules.minutesField")} type="number" value={form.minutes} onInput={(e) => setForm({ ...form, minutes: e.currentTarget.value })} />
        <input aria-label={t("alerts.rules.camerasField")} placeholder={t("alerts.rules.allCameras")} value={form.cameras} onInput={(e) => setForm({ ...form, cameras: e.currentTarget.value })} />
        <select aria-label={t("alerts.rules.channel")} value={form.channel} onChange={(e) => setForm({ ...form, channel: e.currentTarget.value })}>
          <option value="">{t("alerts.rules.pickChannel")}</option>
          {props.channels.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
        <button type="submit">{t("alerts.rules.add")}</button>
      </form>
    </section>
  );
}

function Channels(props: { channels: Channel[] | null; act: Act }) {
  const t = useT();
  const [kind, setKind] = useState<ChannelKind>("webhook");
  const [f, setF] = useState<Record<string, string>>({});
  const field = (name: string, label: string, secret = false) => {
    const common = { "aria-label": label, placeholder: label, value: f[name] ?? "" };
    const onInput = (e: { currentTarget: HTMLInputElement }) => setF({ ...f, [name]: e.currentTarget.value });
    return secret ? <input type="password" {...common} onInput={onInput} /> : <input type="text" {...common} onInput={onInput} />;
  };
  const add = (ev: Event) => {
    ev.preventDefault();
    void props.act(
      () => alertsApi.createChannel({ id: f.id ?? "", name: f.name ?? "", kind, config: channelConfig(kind, f) }),
      words("alerts.channels.added", { id: f.id ?? "" }),
    );
  };
  // the form's inputs by the config field they fill
  const inputs = {
    id: field("id", t("alerts.channels.id")),
    name: field("name", t("alerts.channels.name")),
    url: field("url", t("alerts.channels.url")),
    secret: field("secret", kind === "webhook" ? t("alerts.channels.secret") : t("alerts.channels.secretOptional"), true),
    host: field("host", t("alerts.channels.host")),
    port: field("port", t("alerts.channels.port")),
    sender: field("sender", t("alerts.channels.sender")),
    to: field("to", t("alerts.channels.to")),
    username: field("username", t("alerts.channels.username")),
    password: field("password", t("alerts.channels.password"), true),
  };
  return (
    <section aria-label={t("alerts.channels.title")}>
      <h2>{t("alerts.channels.title")}</h2>
      {props.channels === null && <p aria-busy="true">{t("alerts.channels.loading")}</p>}
      {props.channels?.length === 0 && <p>{t("alerts.channels.none")}</p>}
      {!!props.channels?.length && (
        <table class="list">
          <tbody>
            {props.channels.map((c) => (
              <tr key={c.id} data-channel={c.id}>
                <td>{c.name}</td>
                <td>{c.kind}</td>
                <td>{String(c.config.url ?? c.config.host ?? "")}</td>
                <td>
                  <button type="button" aria-label={t("alerts.channels.testOf", { id: c.id })} onClick={() => void props.act(async () => {
                    const r = await alertsApi.testChannel(c.id);
                    if (!r.ok) throw new Error(t("alerts.channels.notDelivered", { error: r.error }));
                  }, words("alerts.channels.testDelivered", { name: c.name }))}>
                    {t("alerts.channels.sendTest")}
                  </button>
                  <button type="button" class="danger" aria-label={t("alerts.channels.removeOf", { id: c.id })} onClick={() => void props.act(() => alertsApi.removeChannel(c.id))}>
                    {t("alerts.channels.remove")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={add} class="inline" aria-label={t("alerts.channels.form")}>
        {inputs.id}
        {inputs.name}
        <select aria-label={t("alerts.channels.kind")} value={kind} onChange={(e) => setKind(e.currentTarget.value as ChannelKind)}>
          <option value="webhook">{t("alerts.channels.kinds.webhook")}</option>
          <option value="dingtalk">{t("alerts.channels.kinds.dingtalk")}</option>
          <option value="wecom">{t("alerts.channels.kinds.wecom")}</option>
          <option value="email">{t("alerts.channels.kinds.email")}</option>
        </select>
        {kind !== "email" && inputs.url}
        {kind !== "email" && kind !== "wecom" && inputs.secret}
        {kind === "email" && (
          <>
            {inputs.host}
            {inputs.port}
            {inputs.sender}
            {inputs.to}
            {inputs.username}
            {inputs.password}
          </>
        )}
        <button type="submit">{t("alerts.channels.add")}</button>
      </form>
    </section>
  );
}

function DeadLetters(props: { dead: Delivery[] | null; act: Act }) {
  const t = useT();
  return (
    <section aria-label={t("alerts.dead.title")}>
      <h2>{t("alerts.dead.title")}</h2>
      <p class="hint">{t("alerts.dead.intro")}</p>
      {props.dead?.length === 0 && <p>{t("alerts.dead.none")}</p>}
      {!!props.dead?.length && (
        <table class="list">
          <tbody>
            {props.dead.map((d) => (
              <tr key={d.id} data-delivery={d.id}>
                <td>{d.dead_ms !== null && <Time ms={d.dead_ms} />}</td>
                <td>{d.channel}</td>
                <td>
                  {t("alerts.dead.alerts", { count: d.notices.length })}{" "}
                  {/* the first alert as the system worded it for its rule (machine text, not the page's words) */}
                  <span translate={false} class="machine-text">{d.notices[0]?.detail ?? ""}</span>
                </td>
                <td translate={false} class="machine-text">{d.errors[d.errors.length - 1]}</td>
                <td>
                  <button type="button" aria-label={t("alerts.dead.againOf", { id: d.id })} onClick={() => void props.act(() => alertsApi.resend(d.id), words("alerts.dead.queued"))} class="nowrap">
                    {t("alerts.dead.again")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
