"""Where the loop keeps its files, and the settings it reads from the environment.

models/                 the active model at start-up (`rasa run --model models` loads the newest)
models/candidates/      candidates and their comparison reports (never loaded by the server)
models/released/        the last few released models with their reports, and manifest.json
data/nlu/reviewed/      annotated examples, one YAML file per intent + a provenance sidecar,
                        rules of the intents created from the inbox (rules.yml)
domain/reviewed.yml     intents created from the inbox, with their responses in vi/en
knowledge/content/procedures/   procedure aliases added from the inbox (then `bot.nlu.generate`)
var/maintainer-audit.jsonl   gate overrides, releases and rollbacks (who, when, why)
var/maintainer-job.json      the console's last background job (output and outcome), beside the audit log
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

    @property
    def domain(self) -> Path:
        return self.root / "domain"

    @property
    def reviewed_domain(self) -> Path:
        """Intents created from the inbox: their own domain file, so a reviewer sees them apart."""
        return self.domain / "reviewed.yml"

    @property
    def content(self) -> Path:
        return self.root / "knowledge" / "content"

    @property
    def generated(self) -> Path:
        return self.root / "data" / "nlu" / "generated"

    @property
    def job_file(self) -> Path:
        """The console's last background job, kept where the audit log is (var/, or a test's folder)."""
        return self.audit_log.with_name("maintainer-job.json")

    @classmethod
    def from_environment(cls) -> "Layout":
        """Defaults under the repository; MODELS_DIR moves all model folders at once; MAINTAINER_ROOT points at
        another copy of the training inputs (tests use these)."""
        root = Path(os.environ.get("MAINTAINER_ROOT") or ROOT)
        models = Path(os.environ.get("MODELS_DIR", root / "models"))
        return cls(
            root=root,
            models=models,
            candidates=models / "candidates",
            released=models / "released",
            reviewed=Path(os.environ.get("MAINTAINER_REVIEWED_DIR", root / "data" / "nlu" / "reviewed")),
            audit_log=Path(os.environ.get("MAINTAINER_AUDIT_LOG", root / "var" / "maintainer-audit.jsonl")),
        )


def tracker_store_url() -> str:
    return os.environ.get("TRACKER_STORE_URL") or f"sqlite:///{ROOT / 'var' / 'tracker.db'}"


def rasa_url() -> str:
    return os.environ.get("RASA_URL") or f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"


RASA = str(ROOT / ".venv" / "bin" / "rasa") if (ROOT / ".venv" / "bin" / "rasa").exists() else "rasa"
