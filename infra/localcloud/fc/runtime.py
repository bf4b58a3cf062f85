"""FCRuntime: s.yaml → worker pools, HTTP trigger listeners, OSS subscriptions, invoke API.

Composition only: each job lives in its own module (spec, instances, http_trigger, oss_trigger,
async_queue, invoke_api, credentials).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from localcloud.common import logs
from localcloud.common.clock import Clock
from localcloud.common.httpserver import Server, ServerThread, new_request_id
from localcloud.fc import oss_trigger, packaging, spec
from localcloud.fc.async_queue import AsyncQueue, FunctionPolicy
from localcloud.fc.credentials import RoleCredentials
from localcloud.fc.http_trigger import HttpTriggerApp, HttpTriggerHandler
from localcloud.fc.instances import FunctionPool, Outcome, python_paths, worker_env
from localcloud.fc.invoke_api import InvokeApiHandler
from localcloud.fc.timer import TimerScheduler
from localcloud.ram.model import RamModel

log = logs.get("localcloud.fc")
DEFAULT_MAX_INSTANCES = 4


def _retry_base() -> float:
    try:
        return float(os.environ.get("LOCALCLOUD_FC_RETRY_BASE_SECONDS", "1.0"))
    except ValueError:
        return 1.0


class FCRuntime:
    """The local Function Compute: runs the functions of one s.yaml."""

    def __init__(self, spec_path: Path, data_dir: Path, ram: RamModel, outbox: Any, clock: Clock, host: str,
                 api_port: int, function_ports: int | None, env: dict[str, str],
                 admin_token: str | None = None, max_instances: int = DEFAULT_MAX_INSTANCES) -> None:
        self.spec_path = Path(spec_path)
        self.data_dir = Path(data_dir)
        self.ram = ram
        self.outbox = outbox
        self.clock = clock
        self.host = host
        self.api_port = api_port
        self.function_ports = function_ports or None
        self.env = dict(env)
        self.admin_token = admin_token
        self.max_instances = max_instances
        render_env = {**os.environ, **self.env}
        self.spec = spec.load(self.spec_path, render_env, {"AccountID": ram.account_id})
        self._base_env = {k: v for k, v in render_env.items()}
        self._pools: dict[str, FunctionPool] = {}
        # what each function can import: its own code package and layers (localcloud.fc.packaging)
        layer_search = packaging.layer_search_path(self.spec_path.resolve().parent, render_env)
        try:
            self.packages = {fn.name: packaging.plan(fn.code_dir, fn.layers, layer_search)
                             for fn in self.spec.functions}
        except packaging.PackagingError as exc:
            raise spec.SpecError(str(exc)) from exc
        self._creds: dict[str, RoleCredentials] = {}
        self._threads: list[ServerThread] = []
        self._subs: list[Any] = []
        self.function_urls: dict[str, str] = {}
        self.api_endpoint = ""
        self.queue: AsyncQueue | None = None
        self.timers: TimerScheduler | None = None
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FCRuntime:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for fn in self.spec.functions:
            creds = RoleCredentials(self.ram, fn.role, fn.name, self.clock)
            creds.get()  # fail at start (unknown role, no trust) rather than at the first request
            self._creds[fn.name] = creds
            boot = {
                "code_dir": str(fn.code_dir),
                "function": {"name": fn.name, "handler": fn.handler, "memory": fn.memory_mb,
                             "timeout": fn.timeout_s, "initializer": fn.initializer,
                             "initialization_timeout": fn.initializer_timeout_s},
                "service": {"name": self.spec.name},
                "region": fn.region,
                "account_id": self.ram.account_id,
                "isolated": self.packages[fn.name].isolated,
                "blocked_modules": list(self.packages[fn.name].blocked),
                "package_paths": python_paths(fn, self.packages[fn.name].layer_dirs),
            }
            self._pools[fn.name] = FunctionPool(fn, self._env_factory(fn), boot, self.max_instances)
        policies = {fn.name: FunctionPolicy(fn.max_async_retries, fn.on_failure, self.max_instances)
                    for fn in self.spec.functions}
        self.queue = AsyncQueue(self.data_dir / "async", self.invoke, policies, _retry_base(), self.clock.now)
        self.queue.start()

        api = Server((self.host, self.api_port), InvokeApiHandler, self)
        self._threads.append(ServerThread(api, "fc-invoke-api").start())
        self.api_endpoint = f"http://{self.host}:{api.port}"
        # Functions that invoke functions (the api starting exports) find this FC API here, as a
        # cloud function derives it from FC_ACCOUNT_ID + FC_REGION; instances start after this line.
        self._base_env.setdefault("LOCALCLOUD_FC_ENDPOINT", self.api_endpoint)
        self._base_env.setdefault("FC_ACCOUNT_ID", self.ram.account_id)
        offset = 0
        for fn in self.spec.functions:
            for trigger in fn.http_triggers[:1]:  # one function URL per function
                port = self.function_ports + offset if self.function_ports else 0
                offset += 1
                app = HttpTriggerApp(fn, trigger, self.invoke, self.ram, self.clock, self.ram.account_id)
                server = Server((self.host, port), HttpTriggerHandler, app)
                self._threads.append(ServerThread(server, f"fc-http-{fn.name}").start())
                self.function_urls[fn.name] = f"http://{self.host}:{server.port}"
        for fn in self.spec.functions:
            if fn.oss_triggers:
                cursor = self.data_dir / "oss-cursors" / f"{fn.name}.json"
                poller = oss_trigger.OssPoller(self.outbox, fn, self.queue.enqueue_many, cursor)
                self._subs.append(poller.start())
        queue = self.queue
        self.timers = TimerScheduler(self.spec.functions, self.clock,
                                     lambda fn, payload, source: queue.enqueue(fn, payload, source),
                                     queue.is_pending).start()
        log.info("fc runtime up", extra={"api": self.api_endpoint, "functions": self.function_urls,
                                         "spec": str(self.spec_path)})
        return self

    def stop(self) -> None:
        if self.timers is not None:
            self.timers.stop()
        for sub in self._subs:
            sub.stop()
        self._subs.clear()
        # Listeners, dispatchers and pools stop side by side (each waits on its own poll interval).
        jobs = [t.stop for t in self._threads] + [p.stop for p in self._pools.values()]
        if self.queue is not None:
            jobs.append(self.queue.stop)
        stoppers = [threading.Thread(target=job, daemon=True) for job in jobs]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(15)
        self._threads.clear()

    def _env_factory(self, fn: spec.FunctionSpec) -> Any:
        def make() -> dict[str, str]:
            env = worker_env(self._base_env, fn, self.packages[fn.name])
            # the function URLs bound at start (a function may need another's, e.g. the token URL)
            env["LOCALCLOUD_FUNCTION_URLS"] = json.dumps(self.function_urls, sort_keys=True)
            ak, secret, token = self._creds[fn.name].get()
            env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": ak, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
                        "ALIBABA_CLOUD_SECURITY_TOKEN": token})
            return env
        return make

    # -- invocation ----------------------------------------------------------------------------
    def has_function(self, name: str) -> bool:
        return name in self._pools

    def function_arn(self, name: str) -> str:
        """`acs:fc:<region>:<account>:functions/<name>`: what RAM policies name for fc:InvokeFunction."""
        regions = [fn.region for fn in self.spec.functions if fn.name == name] or \
            [fn.region for fn in self.spec.functions] or ["cn-hangzhou"]
        region = regions[0]
        return f"acs:fc:{region}:{self.ram.account_id}:functions/{name}"

    def invoke(self, function: str, payload: bytes, request_id: str, source: str) -> Outcome:
        """One invocation on a warm (or new) instance, with one structured log line."""
        start = time.monotonic()
        creds = self._creds[function].get()
        outcome = self._pools[function].invoke(request_id, payload, creds)
        error = outcome.error or {}
        log.log(20 if outcome.ok else 40, "invocation", extra={
            "request_id": request_id, "function": function, "source": source,
            "duration_ms": round((time.monotonic() - start) * 1000, 2),
            "status": "ok" if outcome.ok else outcome.kind,
            "error": None if outcome.ok else f"{error.get('errorType')}: {error.get('errorMessage')}",
            "stack": None if outcome.ok else "".join(error.get("stackTrace") or []) or None})
        return outcome

    def invoke_async(self, function: str, payload: bytes, request_id: str | None = None) -> str:
        assert self.queue is not None
        return self.queue.enqueue(function, payload, "invoke-async", request_id or new_request_id())

    def dead_letters(self, function: str | None = None) -> list[dict[str, Any]]:
        assert self.queue is not None
        return self.queue.dead_letters(function)

    def replay_dead_letter(self, dead_id: str) -> str:
        assert self.queue is not None
        return self.queue.replay(dead_id)

    def instances_started(self, function: str) -> int:
        return self._pools[function].started
