"""Where the loop keeps its files, and the settings it reads from the environment.

models/                 the active model at start-up (`rasa run --model models` loads the newest)
models/candidates/      candidates and their comparison reports (never loaded by the server)
models/released/        the last few released models with their reports, and manifest.json
data/nlu/reviewed/      annotated examples, one YAML file per intent + a provenance sidecar
var/maintainer-audit.jsonl   gate overrides, releases and rollbacks (who, when, why)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Layout:
    root: Path = ROOT
    models: Path = ROOT / "models"
    candidates: Path = ROOT / "models" / "candidates"
    released: Path = ROOT / "models" / "released"
    reviewed: Path = ROOT / "data" / "nlu" / "reviewed"
    audit_log: Path = ROOT / "var" / "maintainer-audit.jsonl"

    @property
    def manifest(self) -> Path:
        return self.released / "manifest.json"

    @classmethod
    def from_environment(cls) -> "Layout":
        """Defaults under the repository; MODELS_DIR moves all model folders at once (tests use this)."""
        models = Path(os.environ.get("MODELS_DIR", ROOT / "models"))
        return cls(
            models=models,
            candidates=models / "candidates",
            released=models / "released",
            reviewed=Path(os.environ.get("MAINTAINER_REVIEWED_DIR", ROOT / "data" / "nlu" / "reviewed")),
            audit_log=Path(os.environ.get("MAINTAINER_AUDIT_LOG", ROOT / "var" / "maintainer-audit.jsonl")),
        )


def tracker_store_url() -> str:
    return os.environ.get("TRACKER_STORE_URL") or f"sqlite:///{ROOT / 'var' / 'tracker.db'}"


def rasa_url() -> str:
    return os.environ.get("RASA_URL") or f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"


RASA = str(ROOT / ".venv" / "bin" / "rasa") if (ROOT / ".venv" / "bin" / "rasa").exists() else "rasa"
