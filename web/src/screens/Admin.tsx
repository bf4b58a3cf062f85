// Admin: retention days, cameras (add — its config is shown once —, disable, enable, rotate,
// remove), users and the audit list. Only admins reach this screen; the API refuses the rest anyway.
import { useEffect, useState } from "preact/hooks";
import { api, type AuditEntry, type Camera, type UserRecord } from "../api";
import { GatewayActions, GatewayInfo } from "../gateway/GatewayInfo";
import { Confirm } from "../ui/Confirm";
import { Field, FieldNote } from "../ui/Field";
import { cameraIdProblem, cameraListProblem, passwordProblem, RULES, userNameProblem } from "../ui/rules";
import { Time } from "../ui/Time";
import { textOf, useT, words, type Words } from "../i18n";

// the notice after a camera action, and a camera's state, by their catalog keys
const DID = { disable: "admin.cameras.did.disable", enable: "admin.cameras.did.enable", rotate: "admin.cameras.did.rotate" } as const;
const STATE = { enabled: "admin.cameras.state.enabled", disabled: "admin.cameras.state.disabled", removed: "admin.cameras.state.removed" } as const;

// audit actions (api audit() calls) by their catalog keys: English shows the code itself, other languages
// a phrase; an action this list does not know yet shows its code
const ACTIONS: Record<string, string> = {
  activity_settings_set: "admin.audit.actions.activity_settings_set",
  alert_channel_add: "admin.audit.actions.alert_channel_add",
  alert_channel_remove: "admin.audit.actions.alert_channel_remove",
  alert_channel_save: "admin.audit.actions.alert_channel_save",
  alert_channel_test: "admin.audit.actions.alert_channel_test",
  alert_resend: "admin.audit.actions.alert_resend",
  alert_rule_add: "admin.audit.actions.alert_rule_add",
  alert_rule_remove: "admin.audit.actions.alert_rule_remove",
  alert_rule_save: "admin.audit.actions.alert_rule_save",
  camera_add: "admin.audit.actions.camera_add",
  camera_remove: "admin.audit.actions.camera_remove",
  camera_rotate: "admin.audit.actions.camera_rotate",
  camera_enable: "admin.audit.actions.camera_enable",
  camera_disable: "admin.audit.actions.camera_disable",
  clip_delete: "admin.audit.actions.clip_delete",
  clips_delete_range: "admin.audit.actions.clips_delete_range",
  export_delete: "admin.audit.actions.export_delete",
  export_retry: "admin.audit.actions.export_retry",
  export_start: "admin.audit.actions.export_start",
  login: "admin.audit.actions.login",
  login_failed: "admin.audit.actions.login_failed",
  logout: "admin.audit.actions.logout",
  retention_set: "admin.audit.actions.retention_set",
  share_create: "admin.audit.actions.share_create",
  share_download: "admin.audit.actions.share_download",
  share_open: "admin.audit.actions.share_open",
  share_password_failed: "admin.audit.actions.share_password_failed",
  share_revoke: "admin.audit.actions.share_revoke",
  user_add: "admin.audit.actions.user_add",
  user_passwd: "admin.audit.actions.user_passwd",
  user_remove: "admin.audit.actions.user_remove",
  user_role: "admin.audit.actions.user_role",
};

type Ask = { title: string; body: string; label: string; run: () => Promise<void> };

export function Admin() {
  const t = useT();
  const [ask, setAsk] = useState<Ask | null>(null);
  const [notice, setNotice] = useState<Words | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rev, setRev] = useState(0); // bumped after each change: the audit list reloads

  const attempt = async (fn: () => Promise<void>) => {
    setError(null);
    setNotice(null);
    try {
      await fn();
      setRev((r) => r + 1);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <main class="page admin">
      <h1>{t("admin.title")}</h1>
      <p class="error" role="alert">
        {error}
      </p>
      <p role="status">{textOf(notice)}</p>
      <Retention attempt={attempt} setNotice={setNotice} />
      <CamerasAdmin attempt={attempt} setAsk={setAsk} setNotice={setNotice} />
      <UsersAdmin attempt={attempt} setAsk={setAsk} setNotice={setNotice} />
      <Audit rev={rev} />
      {ask && (
        <Confirm
          title={ask.title}
          confirmLabel={ask.label}
          onCancel={() => setAsk(null)}
          onConfirm={() => {
            const a = ask;
            setAsk(null);
            void attempt(a.run);
          }}
        >
          <p>{ask.body}</p>
        </Confirm>
      )}
    </main>
  );
}

/** A button that asks for confirmation (the Admin screen's dialog) before it runs `ask.run`. */
function AskButton(props: { setAsk?: (a: Ask) => void; name: string; text: string; danger?: boolean; ask: Ask }) {
  return (
    <button type="button" class={props.danger ? "danger" : undefined} aria-label={props.name} onClick={() => props.setAsk?.(props.ask)}>
      {props.text}
    </button>
  );
}

interface Ctx {
  attempt: (fn: () => Promise<void>) => Promise<void>;
  setNotice: (s: Words | null) => void;
  setAsk?: (a: Ask) => void;
}

function Retention({ attempt, setNotice }: Ctx) {
  const t = useT();
  const [days, setDays] = useState("");
  const [activityDays, setActivityDays] = useState(""); // empty: clips with activity follow `days`
  const [loaded, setLoaded] = useState(false);
  const show = (r: { days: number | null; activity_days: number | null }) => {
    setDays(r.days === null ? "" : String(r.days));
    setActivityDays(r.activity_days === null ? "" : String(r.activity_days));
    setLoaded(true);
  };
  useEffect(() => {
    void attempt(async () => show(await api.retention()));
  }, []);
  const save = (ev: Event) => {
    ev.preventDefault();
    void attempt(async () => {
      const r = await api.setRetention(Number(days), activityDays ? Number(activityDays) : undefined);
      show(r);
      setNotice(
        r.activity_days === null
          ? words("admin.retention.saved", { days: r.days })
          : words("admin.retention.savedActivity", { days: r.days, activityDays: r.activity_days }),
      );
    });
  };
  return (
    <section aria-labelledby="ret-h" class="card retention" data-loaded={loaded ? "true" : "false"}>
      <h2 id="ret-h">{t("admin.retention.title")}</h2>
      <form onSubmit={save} class="inline">
        <label>
          {t("admin.retention.keep")}
          <input type="number" min={1} max={3650} required name="retention" placeholder={t("admin.retention.notSet")} value={days} onInput={(e) => setDays(e.currentTarget.value)} />
        </label>
        <label>
          {t("admin.retention.keepActivity")}
          <input type="number" min={1} max={3650} name="activity-retention" placeholder={t("admin.retention.asRecordings")} value={activityDays} onInput={(e) => setActivityDays(e.currentTarget.value)} />
        </label>
        <button type="submit">{t("admin.retention.save")}</button>
      </form>
    </section>
  );
}

function CamerasAdmin({ attempt, setAsk, setNotice }: Ctx) {
  const t = useT();
  const [cams, setCams] = useState<Camera[]>([]);
  const [newId, setNewId] = useState("");
  const [newName, setNewName] = useState("");
  const [idError, setIdError] = useState<string | null>(null);
  const [config, setConfig] = useState<{ id: string; text: string } | null>(null);
  const reload = async () => setCams((await api.cameras()).cameras);
  useEffect(() => {
    void attempt(reload);
  }, []);

  const add = (ev: Event) => {
    ev.preventDefault();
    const problem = cameraIdProblem(newId);
    setIdError(problem);
    if (problem) return;
    void attempt(async () => {
      const r = await api.addCamera(newId.trim(), newName.trim());
      setConfig({ id: r.camera.id, text: JSON.stringify(r.config, null, 2) });
      setNewId("");
      setNewName("");
      await reload();
    });
  };
  const act = (c: Camera, action: "disable" | "enable" | "rotate") =>
    attempt(async () => {
      const r = await api.cameraAction(c.id, action);
      if (r?.config) setConfig({ id: c.id, text: JSON.stringify(r.config, null, 2) });
      await reload();
      setNotice(words(DID[action], { id: c.id }));
    });

  return (
    <section aria-labelledby="cam-h" class="card">
      <h2 id="cam-h">{t("admin.cameras.title")}</h2>
      {config && (
        <div class="config" role="region" aria-label={t("admin.cameras.configRegion")}>
          <p>
            <strong>{t("admin.cameras.configShownOnce", { id: config.id })}</strong> {t("admin.cameras.configCopyNow")}
          </p>
          <pre tabIndex={0}>{config.text}</pre>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(config.text)}>
            {t("admin.cameras.copy")}
          </button>
          <button type="button" onClick={() => setConfig(null)}>
            {t("admin.cameras.done")}
          </button>
        </div>
      )}
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t("admin.cameras.camera")}</th>
            <th scope="col">{t("admin.cameras.status")}</th>
            <th scope="col">{t("admin.cameras.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {cams.map((c) => (
            <tr key={c.id} data-camera={c.id}>
              <td>
                {c.name || c.id} <span class="id">{c.id}</span> <GatewayInfo camera={c} />
              </td>
              <td>{Object.hasOwn(STATE, c.status) ? t(STATE[c.status as keyof typeof STATE]) : c.status}</td>
              <td class="actions">
                {c.gateway ? (
                  <GatewayActions camera={c} />
                ) : c.status === "removed" ? (
                  <span class="hint">{t("admin.cameras.keptUntilRetention")}</span>
                ) : (
                  <>
                {c.status === "enabled" ? (
                  <button type="button" aria-label={t("admin.cameras.disableOf", { id: c.id })} onClick={() => void act(c, "disable")}>
                    {t("admin.cameras.disable")}
                  </button>
                ) : (
                  <button type="button" aria-label={t("admin.cameras.enableOf", { id: c.id })} onClick={() => void act(c, "enable")}>
                    {t("admin.cameras.enable")}
                  </button>
                )}
                <AskButton
                  setAsk={setAsk}
                  name={t("admin.cameras.rotateOf", { id: c.id })}
                  text={t("admin.cameras.rotate")}
                  ask={{
                    title: t("admin.cameras.rotateTitle", { id: c.id }),
                    body: t("admin.cameras.rotateBody"),
                    label: t("admin.cameras.rotate"),
                    run: () => act(c, "rotate"),
                  }}
                />
                <AskButton
                  setAsk={setAsk}
                  name={t("admin.cameras.removeOf", { id: c.id })}
                  text={t("admin.cameras.remove")}
                  danger
                  ask={{
                    title: t("admin.cameras.removeTitle", { id: c.id }),
                    body: t("admin.cameras.removeBody"),
                    label: t("admin.cameras.remove"),
                    run: async () => {
                      await api.removeCamera(c.id);
                      await reload();
                      setNotice(words("admin.cameras.removed", { id: c.id }));
                    },
                  }}
                />
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={add} class="inline" aria-label={t("admin.cameras.addForm")} noValidate>
        <Field label={t("admin.cameras.id")} note={<FieldNote id="camera-id-note" rule={RULES.cameraId} error={idError} />}>
          <input
            name="camera-id"
            aria-describedby="camera-id-note"
            aria-invalid={idError ? "true" : undefined}
            value={newId}
            onInput={(e) => setNewId(e.currentTarget.value)}
          />
        </Field>
        <label>
          {t("admin.cameras.name")}
          <input name="camera-name" value={newName} onInput={(e) => setNewName(e.currentTarget.value)} />
        </label>
        <button type="submit">{t("admin.cameras.add")}</button>
      </form>
    </section>
  );
}

function UsersAdmin({ attempt, setAsk, setNotice }: Ctx) {
  const t = useT();
  const [users, setUsers] = useState<UserRecord[]>([]);
  // stored records that do not parse (a hand edit, a half-restored backup): named, and removable
  const [unreadable, setUnreadable] = useState<string[]>([]);
  const [form, setForm] = useState({ name: "", password: "", role: "viewer", cameras: "" });
  const reload = async () => {
    const list = await api.users();
    setUsers(list.users);
    setUnreadable(list.unreadable ?? []);
  };
  const remove = (name: string) => (
    <AskButton
      setAsk={setAsk}
      name={t("admin.users.removeOf", { name })}
      text={t("admin.users.remove")}
      danger
      ask={{
        title: t("admin.users.removeTitle", { name }),
        body: t("admin.users.removeBody"),
        label: t("admin.users.remove"),
        run: async () => {
          await api.removeUser(name);
          await reload();
          setNotice(words("admin.users.removed", { name }));
        },
      }}
    />
  );
  useEffect(() => {
    void attempt(reload);
  }, []);
  const camList = (text: string): string[] | undefined => {
    const ids = text.split(/[\s,]+/).filter(Boolean);
    return ids.length ? ids : undefined;
  };
  const [edit, setEdit] = useState<{ name: string; password: string; cameras: string } | null>(null);
  const [editErrors, setEditErrors] = useState<{ password?: string | null; cameras?: string | null }>({});
  const saveEdit = (ev: Event) => {
    ev.preventDefault();
    const e = edit;
    if (!e) return;
    const found = { password: e.password ? passwordProblem(e.password) : null, cameras: cameraListProblem(e.cameras) };
    setEditErrors(found);
    if (found.password || found.cameras) return;
    void attempt(async () => {
      const ids = camList(e.cameras);
      await api.updateUser(e.name, {
        ...(e.password ? { password: e.password } : {}),
        ...(ids ? { cameras: ids } : { all_cameras: true }),
      });
      setEdit(null);
      await reload();
      setNotice(words(e.password ? "admin.users.updatedPassword" : "admin.users.updated", { name: e.name }));
    });
  };
  const [errors, setErrors] = useState<{ name?: string | null; password?: string | null; cameras?: string | null }>({});
  const add = (ev: Event) => {
    ev.preventDefault();
    const found = { name: userNameProblem(form.name), password: passwordProblem(form.password), cameras: cameraListProblem(form.cameras) };
    setErrors(found);
    const first = (["name", "password", "cameras"] as const).find((k) => found[k]);
    if (first) {
      (ev.currentTarget as HTMLFormElement).querySelector<HTMLInputElement>(`[data-field="${first}"]`)?.focus();
      return;
    }
    void attempt(async () => {
      await api.addUser({ name: form.name.trim(), password: form.password, role: form.role, cameras: camList(form.cameras) });
      setNotice(words("admin.users.added", { name: form.name }));
      setForm({ name: "", password: "", role: "viewer", cameras: "" });
      await reload();
    });
  };
  return (
    <section aria-labelledby="users-h" class="card">
      <h2 id="users-h">{t("admin.users.title")}</h2>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">{t("admin.users.user")}</th>
            <th scope="col">{t("admin.users.role")}</th>
            <th scope="col">{t("admin.users.cameras")}</th>
            <th scope="col">{t("admin.users.actions")}</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.name} data-user={u.name}>
              <td>{u.name}</td>
              <td>
                <select
                  aria-label={t("admin.users.roleOf", { name: u.name })}
                  value={u.role}
                  onChange={(e) => {
                    const role = e.currentTarget.value;
                    void attempt(async () => {
                      await api.updateUser(u.name, { role });
                      setNotice(words("admin.users.nowRole", { name: u.name, role: role === "admin" ? words("common.role.admin") : words("common.role.viewer") }));
                      await reload();
                    });
                  }}
                >
                  <option value="viewer">{t("common.role.viewer")}</option>
                  <option value="admin">{t("common.role.admin")}</option>
                </select>
              </td>
              <td>{u.cameras === null ? t("admin.users.all") : u.cameras.join(", ") || t("admin.users.none")}</td>
              <td class="actions">
                <button
                  type="button"
                  aria-label={t("admin.users.editOf", { name: u.name })}
                  onClick={() => setEdit({ name: u.name, password: "", cameras: (u.cameras ?? []).join(", ") })}
                >
                  {t("admin.users.edit")}
                </button>
                {remove(u.name)}
              </td>
            </tr>
          ))}
          {unreadable.map((name) => (
            <tr key={name} data-user={name} class="unreadable">
              <td>{name}</td>
              <td colSpan={2} class="error">
                {t("admin.users.unreadable")}
              </td>
              <td class="actions">{remove(name)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {edit && (
        <form onSubmit={saveEdit} class="inline" aria-label={t("admin.users.editOf", { name: edit.name })} noValidate>
          <strong>{edit.name}</strong>
          <Field label={t("admin.users.newPassword")} note={<FieldNote id="edit-password-note" rule={RULES.password} error={editErrors.password} />}>
            <input
              name="edit-password"
              type="password"
              autoComplete="new-password"
              aria-describedby="edit-password-note"
              aria-invalid={editErrors.password ? "true" : undefined}
              value={edit.password}
              onInput={(e) => setEdit({ ...edit, password: e.currentTarget.value })}
            />
          </Field>
          <Field label={t("admin.users.cameraIds")} note={<FieldNote id="edit-cameras-note" error={editErrors.cameras} />}>
            <input
              name="edit-cameras"
              aria-describedby="edit-cameras-note"
              aria-invalid={editErrors.cameras ? "true" : undefined}
              value={edit.cameras}
              onInput={(e) => setEdit({ ...edit, cameras: e.currentTarget.value })}
            />
          </Field>
          <button type="submit">{t("admin.users.save")}</button>
          <button type="button" onClick={() => setEdit(null)}>
            {t("common.cancel")}
          </button>
        </form>
      )}
      <form onSubmit={add} class="inline" aria-label={t("admin.users.addForm")} noValidate>
        <Field label={t("admin.users.name")} note={<FieldNote id="new-user-note" rule={RULES.userName} error={errors.name} />}>
          <input
            name="new-user"
            data-field="name"
            aria-describedby="new-user-note"
            aria-invalid={errors.name ? "true" : undefined}
            value={form.name}
            onInput={(e) => setForm({ ...form, name: e.currentTarget.value })}
          />
        </Field>
        <Field label={t("admin.users.password")} note={<FieldNote id="new-password-note" rule={RULES.password} error={errors.password} />}>
          <input
            name="new-password"
            data-field="password"
            type="password"
            autoComplete="new-password"
            aria-describedby="new-password-note"
            aria-invalid={errors.password ? "true" : undefined}
            value={form.password}
            onInput={(e) => setForm({ ...form, password: e.currentTarget.value })}
          />
        </Field>
        <label>
          {t("admin.users.role")}
          <select name="new-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value })}>
            <option value="viewer">{t("common.role.viewer")}</option>
            <option value="admin">{t("common.role.admin")}</option>
          </select>
        </label>
        <Field label={t("admin.users.cameraIds")} note={<FieldNote id="new-cameras-note" error={errors.cameras} />}>
          <input
            name="new-cameras"
            data-field="cameras"
            aria-describedby="new-cameras-note"
            aria-invalid={errors.cameras ? "true" : undefined}
            value={form.cameras}
            onInput={(e) => setForm({ ...form, cameras: e.currentTarget.value })}
          />
        </Field>
        <button type="submit">{t("admin.users.add")}</button>
      </form>
    </section>
  );
}

function Audit({ rev }: { rev: number }) {
  const t = useT();
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<string | number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = async (before?: string | number) => {
    try {
      const r = await api.audit(before);
      setEntries((old) => (before === undefined ? r.entries : [...old, ...r.entries]));
      setNext(r.next);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, [rev]);
  return (
    <section aria-labelledby="audit-h" class="card">
      <h2 id="audit-h">{t("admin.audit.title")}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="scroll">
        <table class="list audit">
          <thead>
            <tr>
              <th scope="col">{t("admin.audit.time")}</th>
              <th scope="col">{t("admin.audit.user")}</th>
              <th scope="col">{t("admin.audit.action")}</th>
              <th scope="col">{t("admin.audit.target")}</th>
              <th scope="col">{t("admin.audit.detail")}</th>
              <th scope="col">{t("admin.audit.client")}</th>
              <th scope="col">{t("admin.audit.result")}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={`${e.time}-${e.request_id ?? ""}-${e.action}`}>
                <td>
                  <Time ms={e.time} />
                </td>
                <td>{e.user}</td>
                <td data-action={e.action}>{Object.hasOwn(ACTIONS, e.action) ? t(ACTIONS[e.action]) : e.action}</td>
                <td>{e.target}</td>
                <td>{e.detail}</td>
                <td>{e.client}</td>
                <td>{e.ok ? t("admin.audit.ok") : t("admin.audit.refused")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" onClick={() => void load()}>
        {t("admin.audit.refresh")}
      </button>
      {next !== null && next !== undefined && (
        <button type="button" onClick={() => void load(next)}>
          {t("admin.audit.older")}
        </button>
      )}
    </section>
  );
}
