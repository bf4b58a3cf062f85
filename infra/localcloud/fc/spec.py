"""s.yaml (edition 3.0.0, component fc3): load, render `${...}` expressions, validate, describe.

Rendering is done on the parsed YAML tree (strings only), so a value can never inject YAML.
Validation uses the fc3 props JSON schema; the first error (by path) names the bad field the way
`s deploy` users read it: `resources.token.props.triggers[0].triggerConfig.methods: ...`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_PATH = Path(__file__).with_name("fc3-props.schema.json")
_EXPR = re.compile(r"\$\{\s*([^}]*?)\s*\}")
_ENV = re.compile(r"""^env\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])(.*?)\3\s*)?\)$""")
_CONFIG = re.compile(r"""^config\(\s*(['"])([^'"]+)\1\s*\)$""")
_VARS = re.compile(r"^vars\.([A-Za-z0-9_-]+)$")
DEFAULT_MAX_INSTANCES = 4


class SpecError(ValueError):
    """s.yaml cannot be used: unreadable, an unresolvable expression, or rejected by the schema."""


@dataclass(frozen=True)
class HttpTrigger:
    name: str
    auth_type: str
    methods: tuple[str, ...]


@dataclass(frozen=True)
class OssTrigger:
    name: str
    events: tuple[str, ...]
    prefix: str
    suffix: str
    bucket: str | None  # from sourceArn; None matches any bucket


@dataclass(frozen=True)
class TimerTrigger:
    """`triggerType: timer`: `@every <n>s|m|h` or a six-field cron (seconds first), as FC reads them."""

    name: str
    expression: str
    enabled: bool
    payload: str


@dataclass(frozen=True)
class FunctionSpec:
    """What the runtime needs of one fc3 resource, after rendering and validation."""

    resource: str
    name: str
    handler: str
    code_dir: Path
    runtime: str
    memory_mb: int
    timeout_s: int
    role: str | None
    env: dict[str, str]
    instance_concurrency: int
    initializer: str | None
    initializer_timeout_s: float
    max_async_retries: int
    on_failure: str | None
    http_triggers: tuple[HttpTrigger, ...] = ()
    oss_triggers: tuple[OssTrigger, ...] = ()
    timer_triggers: tuple[TimerTrigger, ...] = ()
    region: str = ""
    description: str = ""
    layers: tuple[str, ...] = ()  # layer version ARNs, merged under /opt in this order (localcloud.fc.packaging)


@dataclass(frozen=True)
class Spec:
    name: str
    functions: tuple[FunctionSpec, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def function(self, name: str) -> FunctionSpec | None:
        for fn in self.functions:
            if fn.name == name or fn.resource == name:
                return fn
        return None


# -- rendering ---------------------------------------------------------------------------------

def _render_str(text: str, where: str, env: Mapping[str, str], variables: Mapping[str, Any],
                config: Mapping[str, str]) -> Any:
    def one(expr: str) -> Any:
        m = _ENV.match(expr)
        if m:
            name, default = m.group(2), m.group(4)
            if name in env:
                return env[name]
            if m.group(3) is not None:
                return default
            raise SpecError(f"{where}: environment variable {name} is not set (and has no default)")
        m = _CONFIG.match(expr)
        if m:
            key = m.group(2)
            if key not in config:
                raise SpecError(f"{where}: unknown config('{key}')")
            return config[key]
        m = _VARS.match(expr)
        if m:
            if m.group(1) not in variables:
                raise SpecError(f"{where}: unknown variable vars.{m.group(1)}")
            return variables[m.group(1)]
        raise SpecError(f"{where}: unsupported expression ${{{expr}}}")

    whole = _EXPR.fullmatch(text.strip())
    if whole:  # a lone expression keeps the type of its value (numbers in vars stay numbers)
        return one(whole.group(1))
    return _EXPR.sub(lambda m: str(one(m.group(1))), text)


def _render(node: Any, where: str, env: Mapping[str, str], variables: Mapping[str, Any],
            config: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return _render_str(node, where, env, variables, config)
    if isinstance(node, list):
        return [_render(v, f"{where}[{i}]", env, variables, config) for i, v in enumerate(node)]
    if isinstance(node, dict):
        return {k: _render(v, f"{where}.{k}" if where else str(k), env, variables, config)
                for k, v in node.items()}
    return node


def render(doc: dict[str, Any], env: Mapping[str, str], config: Mapping[str, str]) -> dict[str, Any]:
    """Resolve `${vars.x}`, `${env('X'[, 'd'])}`, `${config('K')}`; vars are rendered first."""
    raw_vars = doc.get("vars") or {}
    if not isinstance(raw_vars, dict):
        raise SpecError("vars: must be a mapping")
    variables: dict[str, Any] = {}
    for key, value in raw_vars.items():  # in order, so a var may use an earlier one
        variables[key] = _render(value, f"vars.{key}", env, variables, config)
    out = {k: v for k, v in doc.items() if k != "vars"}
    rendered = _render(out, "", env, variables, config)
    rendered["vars"] = variables
    return dict(rendered)


# -- validation --------------------------------------------------------------------------------

def _path(prefix: str, error: ValidationError) -> str:
    out = prefix
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _deepest(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf, the sub-error that got furthest (the one the author most likely meant)."""
    while error.context:
        error = best_match(error.context) or error.context[0]
        if not error.context:
            break
    return error


_validator: Draft7Validator | None = None


def _error_key(error: ValidationError) -> list[str]:
    return [str(p) for p in error.absolute_path]


def _schema_validator() -> Draft7Validator:
    global _validator
    if _validator is None:
        _validator = Draft7Validator(json.loads(SCHEMA_PATH.read_text()))
    return _validator


_TRIGGER_DEFS = {"http": "IHttpTriggerConfig", "oss": "IOssTriggerConfig", "timer": "ITimerTriggerConfig"}


def _validate_trigger_configs(prefix: str, props: dict[str, Any]) -> None:
    """The schema's triggerConfig is an anyOf of every kind; check it against its own type's."""
    schema = _schema_validator().schema
    for i, trig in enumerate(props.get("triggers") or []):
        kind = _TRIGGER_DEFS.get(trig.get("triggerType"))
        if kind is None:
            continue
        sub = {"$ref": f"#/definitions/{kind}", "definitions": schema["definitions"]}
        errors = sorted(Draft7Validator(sub).iter_errors(trig["triggerConfig"]),
                        key=_error_key)
        if errors:
            err = _deepest(best_match(errors) or errors[0])
            raise SpecError(f"{_path(f'{prefix}.triggers[{i}].triggerConfig', err)}: {err.message}")
        if trig.get("triggerType") == "timer":
            from .timer import Schedule  # the one parser of timer expressions

            try:
                Schedule.parse(str(trig["triggerConfig"]["cronExpression"]))
            except ValueError as exc:
                raise SpecError(f"{prefix}.triggers[{i}].triggerConfig.cronExpression: {exc}") from None


def validate(doc: dict[str, Any]) -> None:
    """Raise SpecError naming the first bad field of the first invalid resource."""
    if str(doc.get("edition", "")) != "3.0.0":
        raise SpecError(f"edition: must be 3.0.0, got {doc.get('edition')!r}")
    resources = doc.get("resources")
    if not isinstance(resources, dict) or not resources:
        raise SpecError("resources: must be a non-empty mapping")
    for rname, res in resources.items():
        if not isinstance(res, dict) or res.get("component") != "fc3":
            raise SpecError(f"resources.{rname}.component: only the fc3 component is supported")
        props = res.get("props")
        prefix = f"resources.{rname}.props"
        if not isinstance(props, dict):
            raise SpecError(f"{prefix}: must be a mapping")
        errors = sorted(_schema_validator().iter_errors(props), key=_error_key)
        if errors:
            err = _deepest(best_match(errors) or errors[0])
            raise SpecError(f"{_path(prefix, err)}: {err.message}")
        _validate_trigger_configs(prefix, props)
        for needed in ("code", "handler"):
            if needed not in props:
                raise SpecError(f"{prefix}.{needed}: required by the local runtime (built-in runtimes)")
        if not isinstance(props["code"], str):
            raise SpecError(f"{prefix}.code: the local runtime needs a local folder")


# -- model -------------------------------------------------------------------------------------

def _bucket_of(source_arn: str | None) -> str | None:
    # acs:oss:<region>:<account>:<bucket>
    if not source_arn:
        return None
    parts = source_arn.split(":")
    return parts[4] if len(parts) >= 5 and parts[4] else None


def _function(rname: str, props: dict[str, Any], base: Path) -> FunctionSpec:
    http: list[HttpTrigger] = []
    oss: list[OssTrigger] = []
    timers: list[TimerTrigger] = []
    for trig in props.get("triggers") or []:
        cfg = trig.get("triggerConfig") or {}
        if trig["triggerType"] == "http":
            methods = tuple(m.upper() for m in cfg.get("methods") or ["GET", "POST", "PUT", "DELETE", "HEAD"])
            http.append(HttpTrigger(trig["triggerName"], cfg.get("authType", "anonymous"), methods))
        elif trig["triggerType"] == "oss":
            key = (cfg.get("filter") or {}).get("key") or {}
            oss.append(OssTrigger(trig["triggerName"], tuple(cfg.get("events") or ()),
                                  str(key.get("prefix", "")), str(key.get("suffix", "")),
                                  _bucket_of(trig.get("sourceArn"))))
        elif trig["triggerType"] == "timer":
            timers.append(TimerTrigger(trig["triggerName"], str(cfg["cronExpression"]), bool(cfg.get("enable")),
                                       str(cfg.get("payload") or "")))
    life = (props.get("instanceLifecycleConfig") or {}).get("initializer") or {}
    async_cfg = props.get("asyncInvokeConfig") or {}
    env_vars = props.get("environmentVariables") or {}
    on_failure = ((async_cfg.get("destinationConfig") or {}).get("onFailure") or {}).get("destination")
    return FunctionSpec(
        resource=rname,
        name=str(props["functionName"]),
        handler=str(props["handler"]),
        code_dir=(base / str(props["code"])).resolve(),
        runtime=str(props["runtime"]),
        memory_mb=int(props.get("memorySize", 512)),
        timeout_s=int(props.get("timeout", 3)),
        role=props.get("role") or None,
        env={str(k): "" if v is None else str(v) for k, v in env_vars.items()},
        instance_concurrency=int(props.get("instanceConcurrency", 1)),
        initializer=life.get("handler") or None,
        initializer_timeout_s=float(life.get("timeout", 3)),
        max_async_retries=int(async_cfg.get("maxAsyncRetryAttempts", 3)),
        on_failure=on_failure,
        http_triggers=tuple(http),
        oss_triggers=tuple(oss),
        timer_triggers=tuple(timers),
        region=str(props.get("region", "")),
        description=str(props.get("description", "")),
        layers=tuple(str(arn) for arn in props.get("layers") or ()),
    )


def load(path: Path, env: Mapping[str, str], config: Mapping[str, str]) -> Spec:
    """Read, render and validate s.yaml; `config` holds e.g. {"AccountID": ...}."""
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(doc, dict):
        raise SpecError(f"{path}: not a mapping")
    rendered = render(doc, env, config)
    validate(rendered)
    base = Path(path).resolve().parent
    functions = tuple(_function(r, res["props"], base) for r, res in rendered["resources"].items())
    names = [f.name for f in functions]
    if len(set(names)) != len(names):
        raise SpecError(f"resources: duplicate functionName in {names}")
    return Spec(name=str(rendered.get("name", "")), functions=functions, raw=rendered)
