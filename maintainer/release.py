"""Release a compared candidate into the running Rasa server without downtime, and roll back.

The model is loaded in place in the running server, with a JWT (role admin) and a local file path:
by default through `PUT /webhooks/model_release/model` (maintainer/hot_swap.py), which loads the
new model in a worker thread while the current one keeps answering and then swaps them, so no
message is refused, lost or held up; Rasa's own `PUT /model` (`--rasa-api`) does the same swap
but pauses the server for the whole load. The released model is also copied into models/ as
its newest file, so a restart (`rasa run --model models`) starts on it. The last `keep` releases
stay in models/released/ with their comparison reports; manifest.json lists them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import jwt
import requests

from maintainer.compare import load_report, report_paths, sha256
from maintainer.gate import GateDecision, apply_override, audit, evaluate_gate
from maintainer.layout import Layout
from maintainer.train import inputs_path, newest_model

logger = logging.getLogger(__name__)

DEFAULT_KEEP = 5
HOT_SWAP_ROUTE = "/webhooks/model_release/model"
LOAD_TIMEOUT = 600  # loading a model takes seconds to minutes on a busy machine


class ReleaseRefused(RuntimeError):
    """The candidate may not be released (gate failed without override, no report, ...)."""


@dataclass
class RasaServer:
    url: str
    jwt_secret: str
    username: str = "maintainer"
    rasa_api: bool = False  # True: Rasa's own PUT /model instead of the non-blocking swap

    def _headers(self) -> dict:
        token = jwt.encode({"user": {"username": self.username, "role": "admin"}, "exp": int(time.time()) + 300}, self.jwt_secret, algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}

    def status(self) -> dict:
        response = requests.get(f"{self.url}/status", headers=self._headers(), timeout=30)
        response.raise_for_status()
        return response.json()

    def load_model(self, model: Path) -> None:
        """Loads `model` in place: through the non-blocking swap endpoint (maintainer/hot_swap.py), or
        Rasa's own `PUT /model` (which pauses the server while loading) when `rasa_api` is set or the
        server does not have the swap endpoint."""
        body = {"model_file": str(model.resolve())}
        response = None
        if not self.rasa_api:
            response = requests.put(f"{self.url}{HOT_SWAP_ROUTE}", json=body, headers=self._headers(), timeout=LOAD_TIMEOUT)
            if response.status_code == 404:
                logger.warning(
                    "no %s on %s (credentials.yml): using Rasa's PUT /model, which pauses the server while the model loads", HOT_SWAP_ROUTE, self.url
                )
                response = None
        if response is None:
            response = requests.put(f"{self.url}/model", json=body, headers=self._headers(), timeout=LOAD_TIMEOUT)
        if response.status_code != 204:
            raise RuntimeError(f"Rasa refused to load {model.name}: HTTP {response.status_code} {response.text[:300]}")


# ------------------------------------------------------------------ manifest


def read_manifest(layout: Layout) -> dict:
    if layout.manifest.exists():
        return json.loads(layout.manifest.read_text(encoding="utf-8"))
    return {"active": None, "releases": []}


def _write_manifest(layout: Layout, manifest: dict) -> None:
    layout.released.mkdir(parents=True, exist_ok=True)
    temporary = layout.manifest.with_suffix(".tmp")
    temporary.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporary, layout.manifest)  # never a half-written manifest


def active_model(layout: Layout, server: Optional[RasaServer] = None) -> Optional[Path]:
    """The model citizens are talking to: the running server's, else the manifest's, else models/' newest."""
    if server is not None:
        try:
            loaded = server.status().get("model_file")  # the file name Rasa loaded
            if loaded:
                for place in (Path(loaded), layout.released / Path(loaded).name, layout.models / Path(loaded).name):
                    if place.is_absolute() and place.exists():
                        return place
        except requests.RequestException:
            pass
    manifest = read_manifest(layout)
    if manifest["active"] and (layout.released / manifest["active"]).exists():
        return layout.released / manifest["active"]
    return newest_model(layout.models)


# ------------------------------------------------------------------ release / rollback


def check_releasable(candidate: Path, layout: Layout, override: Optional[str], by: str) -> GateDecision:
    report = load_report(candidate)
    if report is None:
        raise ReleaseRefused(f"no comparison report for {candidate.name}: run `python -m maintainer compare` first")
    if report["candidate"]["sha256"] != sha256(candidate):
        raise ReleaseRefused(f"the report was made for another file than {candidate.name}: compare again")
    decision = evaluate_gate(report)
    if not decision.passed and not override and (report.get("gate") or {}).get("override"):
        decision.override = report["gate"]["override"]  # given (and audited) with `gate --override`
    decision = apply_override(decision, override, by, candidate.name, layout)
    if not decision.releasable:
        raise ReleaseRefused(
            "the gate refuses this candidate:\n- "
            + "\n- ".join(decision.reasons)
            + '\n(a supervisor may release it with --override "written reason")'
        )
    return decision


def release(candidate: Path, layout: Layout, server: RasaServer, by: str, override: Optional[str] = None, keep: int = DEFAULT_KEEP) -> dict:
    decision = check_releasable(candidate, layout, override, by)
    layout.released.mkdir(parents=True, exist_ok=True)
    released = layout.released / candidate.name
    if candidate.resolve() != released.resolve():
        shutil.copy2(candidate, released)
    reports = []  # the comparison reports and the record of the inputs, kept and pruned with the model
    for report in [*report_paths(candidate), inputs_path(candidate)]:
        if report.exists():
            shutil.copy2(report, layout.released / report.name)
            reports.append(report.name)

    manifest = read_manifest(layout)
    previous = manifest["active"]
    server.load_model(released)
    _make_startup_model(released, layout)
    entry = {
        "model": released.name,
        "sha256": sha256(released),
        "released_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "by": by,
        "previous": previous,
        "gate": decision.as_dict(),
        "reports": reports,
    }
    manifest["releases"] = [r for r in manifest["releases"] if r["model"] != released.name] + [entry]
    manifest["active"] = released.name
    _prune(layout, manifest, keep)
    _write_manifest(layout, manifest)
    audit(layout, "release", by=by, model=released.name, previous=previous, override=decision.override)
    return entry


def rollback(layout: Layout, server: RasaServer, by: str, to: Optional[str] = None) -> str:
    """Loads the release before the active one (or `to`), in place, and makes it active."""
    manifest = read_manifest(layout)
    names = [r["model"] for r in manifest["releases"]]
    if to is None:
        # The release the active one replaced (not merely the one listed before it, which may be a
        # release that was itself rolled back).
        active = next((r for r in manifest["releases"] if r["model"] == manifest["active"]), None)
        to = active.get("previous") if active else None
        if to is None:
            raise ReleaseRefused("no earlier release to roll back to")
    if to not in names or not (layout.released / to).exists():
        raise ReleaseRefused(f"{to} is not among the kept releases: {', '.join(names) or 'none'}")
    target = layout.released / to
    server.load_model(target)
    _make_startup_model(target, layout)
    previous, manifest["active"] = manifest["active"], to
    _write_manifest(layout, manifest)
    audit(layout, "rollback", by=by, model=to, previous=previous)
    return to


def _make_startup_model(model: Path, layout: Layout) -> None:
    """`rasa run --model models` loads the newest model of models/: make it this one."""
    layout.models.mkdir(parents=True, exist_ok=True)
    startup = layout.models / model.name
    if not startup.exists():
        shutil.copy2(model, startup)
    now = time.time()
    os.utime(startup, (now, now))


def _prune(layout: Layout, manifest: dict, keep: int) -> None:
    """Keeps the last `keep` releases (and always the active one), their reports and start-up copies."""
    kept = manifest["releases"][-keep:]
    dropped = [r for r in manifest["releases"] if r not in kept and r["model"] != manifest["active"]]
    for release_entry in dropped:
        for name in [release_entry["model"], *release_entry.get("reports", [])]:
            (layout.released / name).unlink(missing_ok=True)
        (layout.models / release_entry["model"]).unlink(missing_ok=True)
    manifest["releases"] = [r for r in manifest["releases"] if r not in dropped]
