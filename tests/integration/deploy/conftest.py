"""The packages `s deploy` would ship, built once per session (pre-deploy + layer builds into a temp folder)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from vigil_ops import deploy_check as dc


@dataclass
class Built:
    out: Path                      # holds work/ (the built copy, with s.yaml) and packages/ (the zips)
    preview: dict
    ran: list[str]
    reports: list[dc.PackageReport]

    @property
    def work(self) -> Path:
        return self.out / "work"

    def report(self, resource: str) -> dc.PackageReport:
        return next(r for r in self.reports if r.resource == resource)


@pytest.fixture(scope="session")
def env() -> dict[str, str]:
    return dc.representative_env()


@pytest.fixture(scope="session")
def preview(env: dict[str, str]) -> dict:
    return dc.s_preview(dc.SPEC_PATH, env)


@pytest.fixture(scope="session")
def built(preview: dict, tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("deploy-packages")
    ran, reports = dc.check_packages(preview, out)
    return Built(out, preview, ran, reports)
