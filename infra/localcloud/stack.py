"""LocalCloud: OSS, STS, RAM and the FC runtime composed on one data folder.

This is the embedded default Vigil runs on: `vigil local up`, `make demo` and the test fixtures all
start the stack through this class, so there is one way the parts are wired together.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from .common import logs
from .common.clock import Clock
from .common.httpserver import ServerThread

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RAM_DIR = REPO_ROOT / "infra" / "ram"
DEFAULT_SPEC = REPO_ROOT / "s.yaml"
DEFAULT_ACCOUNT_ID = "1000000000000000"
DEFAULT_REGION = "cn-hangzhou"
DEFAULT_BUCKET = "vigil-local"

log = logs.get("localcloud.stack")


@dataclass
class StackInfo:
    """What a user or a script needs to talk to a running stack (the `--json` line)."""

    oss_endpoint: str
    sts_endpoint: str
    fc_endpoint: str
    region: str
    account_id: str
    bucket: str
    access_key_id: str
    access_key_secret: str
    admin_token: str
    data_dir: str
    master_key_file: str
    functions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


BUCKET_SETUP_GROUP = "localcloud.bucket_setup"


def bucket_setup_hooks() -> list[Callable[..., None]]:
    """`hook(bucket, account_id=...)` callables installed packages register under the
    `localcloud.bucket_setup` entry-point group (Vigil registers its bucket settings there), so
    the emulator applies a product's settings without importing the product."""
    hooks = []
    for entry in entry_points(group=BUCKET_SETUP_GROUP):
        try:
            hooks.append(entry.load())
        except ImportError:  # registered by a package that is not importable here
            log.warning("bucket setup hook not loadable", extra={"hook": entry.value})
    return hooks


def _read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """A hex secret kept in the data folder (0600), created on first start."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


def _ed25519_public(seed_hex: str, pem_path: Path) -> str:
    """The raw public key (hex) of an Ed25519 seed; its PEM is kept beside it for offline verifiers."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex)).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    if not pem_path.exists() or pem_path.read_bytes() != pem:
        pem_path.write_bytes(pem)
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class LocalCloud:
    """Start/stop the whole local stack. `port=0` picks free ports for every service."""

    def __init__(
        self,
        data_dir: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 9000,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        bucket: str = DEFAULT_BUCKET,
        spec_path: Path | None = DEFAULT_SPEC,
        ram_dir: Path = DEFAULT_RAM_DIR,
        extra_env: dict[str, str] | None = None,
        lifecycle_interval: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.port = port
        self.region = region
        self.account_id = account_id
        self.bucket_name = bucket
        self.spec_path = spec_path
        self.ram_dir = ram_dir
        self.extra_env = dict(extra_env or {})
        self.lifecycle_interval = lifecycle_interval
        self.clock = Clock()
        self._threads: list[ServerThread] = []
        self._runtime: Any = None
        self.store: Any = None
        self.ram: Any = None
        self.info: StackInfo | None = None

    @property
    def runtime(self) -> Any:
        """The FC runtime (None before start or without a spec): tests wait on its queue and timers."""
        return self._runtime

    def _port(self, offset: int) -> int:
        return 0 if self.port == 0 else self.port + offset

    def start(self) -> StackInfo:
        from .fc.runtime import DEFAULT_MAX_INSTANCES as FC_MAX_INSTANCES
        from .fc.runtime import FCRuntime
        from .oss.model.store import Store
        from .oss.protocol.server import make_server as make_oss_server
        from .oss.protocol.service import OSSService
        from .ram.model import RamModel
        from .sts.server import make_server as make_sts_server
        from .sts.service import STSService

        d = self.data_dir
        for sub in ("ram", "oss", "fc", "secrets"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        admin_token = secrets.token_hex(16)
        master_key_file = d / "secrets" / "master.key"
        master_key = _read_or_create_secret(master_key_file)
        session_key = _read_or_create_secret(d / "secrets" / "session.key")  # signs viewer cookies
        # the seed of the Ed25519 key that signs export manifests, and its public half (PEM, for verifiers)
        evidence_seed = _read_or_create_secret(d / "secrets" / "evidence.key")
        evidence_public = _ed25519_public(evidence_seed, d / "secrets" / "evidence-public.pem")

        self.ram = RamModel.load(self.ram_dir, d / "ram", self.account_id, self.bucket_name, self.clock)
        self.store = Store(d / "oss", self.clock, self.region, self.account_id)
        oss_server = make_oss_server(OSSService(self.store, self.ram, self.clock, admin_token), self.host,
                                     self._port(0))
        self._threads.append(ServerThread(oss_server, "localcloud-oss").start())
        sts_server = make_sts_server(STSService(self.ram, self.clock), self.host, self._port(1))
        self._threads.append(ServerThread(sts_server, "localcloud-sts").start())
        oss_endpoint = f"http://{self.host}:{oss_server.port}"
        sts_endpoint = f"http://{self.host}:{sts_server.port}"
        self.store.start_sweeper(self.lifecycle_interval)

        ak, secret = self.ram.operator_key()
        self._ensure_bucket(oss_endpoint, ak, secret)

        functions: dict[str, str] = {}
        fc_endpoint = ""
        if self.spec_path is not None:
            env = {
                "VIGIL_REGION": self.region,
                "VIGIL_BUCKET": self.bucket_name,
                "VIGIL_OSS_ENDPOINT": oss_endpoint,
                "VIGIL_PUBLIC_OSS_ENDPOINT": oss_endpoint,
                "VIGIL_STS_ENDPOINT": sts_endpoint,
                "VIGIL_MASTER_KEY": master_key,
                "VIGIL_SESSION_KEY": session_key,
                "VIGIL_EVIDENCE_KEY": evidence_seed,
                "VIGIL_EVIDENCE_PUBLIC_KEY": evidence_public,
                "VIGIL_UPLOAD_ROLE_ARN": f"acs:ram::{self.account_id}:role/vigil-device-upload",
                # the token function splits its STS budget over this many instances (docs/scale.md)
                "VIGIL_TOKEN_MAX_INSTANCES": str(FC_MAX_INSTANCES),
                **self.extra_env,
            }
            self._runtime = FCRuntime(
                spec_path=self.spec_path,
                data_dir=d / "fc",
                ram=self.ram,
                outbox=self.store.outbox,
                clock=self.clock,
                host=self.host,
                api_port=self._port(2),
                function_ports=self._port(3) or None,
                env=env,
                admin_token=admin_token,
            )
            self._runtime.start()
            fc_endpoint = self._runtime.api_endpoint
            functions = dict(self._runtime.function_urls)

        self.info = StackInfo(
            oss_endpoint=oss_endpoint,
            sts_endpoint=sts_endpoint,
            fc_endpoint=fc_endpoint,
            region=self.region,
            account_id=self.account_id,
            bucket=self.bucket_name,
            access_key_id=ak,
            access_key_secret=secret,
            admin_token=admin_token,
            data_dir=str(d),
            master_key_file=str(master_key_file),
            functions=functions,
        )
        _write_private(d / "stack.json", self.info.to_json() + "\n")
        log.info("localcloud up", extra={"oss": oss_endpoint, "sts": sts_endpoint, "fc": fc_endpoint,
                                         "functions": functions, "data_dir": str(d)})
        return self.info

    def _ensure_bucket(self, endpoint: str, ak: str, secret: str) -> None:
        """Create the bucket on first start; give it the deployment's bucket settings where it has
        none (what an operator set with `vigil bucket setup` is kept across restarts)."""
        import oss2

        bucket = oss2.Bucket(oss2.Auth(ak, secret), endpoint, self.bucket_name)
        try:
            bucket.get_bucket_info()
        except oss2.exceptions.NoSuchBucket:
            bucket.create_bucket()
        for hook in bucket_setup_hooks():
            hook(bucket, account_id=self.account_id)

    def stop(self) -> None:
        if self._runtime is not None:
            self._runtime.stop()
            self._runtime = None
        for thread in reversed(self._threads):
            thread.stop()
        self._threads.clear()
        if self.store is not None:
            close = getattr(self.store, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> StackInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
