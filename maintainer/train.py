"""Train a candidate model into models/candidates/ without touching the active model.

Runs `rasa train` at a lower CPU priority (nice) so the running assistant keeps answering, and
reports progress (the component being trained, DIET/TED epochs) through a callback. A candidate
whose data, domain and config are fingerprint-identical to an existing model is that model, copied
under the candidate's name instead of being retrained (Rasa's `train --dry-run` decides).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from evaluation.run import latest_model as newest_model
from maintainer.layout import RASA, Layout

DEFAULT_NICENESS = 10
_COMPONENT = re.compile(r"(?:Starting to train|Finished training) component '?(\w+)'?")
_EPOCHS = re.compile(r"Epochs:\s+(\d+)%")


@dataclass
class TrainProgress:
    elapsed: float
    stage: str  # "checking", "training", "epochs", "done", "reused"
    detail: str = ""

    def __str__(self) -> str:
        return f"[train {int(self.elapsed) // 60}:{int(self.elapsed) % 60:02d}] {self.stage} {self.detail}".rstrip()


@dataclass
class TrainResult:
    model: Path
    seconds: float
    reused_from: Optional[Path] = None


def _train_command(layout: Layout, out: Path) -> list[str]:
    root = layout.root
    data = [str(root / "data")]
    outside = not layout.reviewed.resolve().is_relative_to((root / "data").resolve())
    if outside and any(layout.reviewed.glob("*.yml")):
        data.append(str(layout.reviewed))  # annotations kept outside data/ (tests) train too
    return [RASA, "train", "--domain", str(root / "domain"), "--config", str(root / "config.yml"),
            "--data", *data, "--out", str(out)]


def identical_model(layout: Layout, directory: Path) -> Optional[Path]:
    """The newest model in `directory` when the current data, domain and config would train it again."""
    model = newest_model(directory)
    if model is None:
        return None
    dry_run = subprocess.run(_train_command(layout, directory) + ["--dry-run"], cwd=layout.root,
                             capture_output=True, text=True)
    return model if dry_run.returncode == 0 else None


def candidate_name() -> str:
    return time.strftime("candidate-%Y%m%d-%H%M%S", time.gmtime())


def train_candidate(layout: Layout, *, niceness: int = DEFAULT_NICENESS, force: bool = False,
                    reuse: bool = True, reuse_from: Optional[Sequence[Path]] = None, name: Optional[str] = None,
                    on_progress: Callable[[TrainProgress], None] = print) -> TrainResult:
    started = time.monotonic()
    layout.candidates.mkdir(parents=True, exist_ok=True)
    name = name or candidate_name()
    target = layout.candidates / f"{name}.tar.gz"

    if reuse and not force:
        on_progress(TrainProgress(time.monotonic() - started, "checking",
                                  "is an existing model fingerprint-identical?"))
        for directory in reuse_from or (layout.models, layout.released, layout.candidates):
            same = identical_model(layout, directory)
            if same is not None:
                shutil.copy2(same, target)
                os.utime(target)
                on_progress(TrainProgress(time.monotonic() - started, "reused", f"{same.name} -> {target.name}"))
                return TrainResult(target, time.monotonic() - started, reused_from=same)

    command = _train_command(layout, layout.candidates) + ["--fixed-model-name", name]
    if force:
        command.append("--force")
    on_progress(TrainProgress(time.monotonic() - started, "training",
                              f"niceness {niceness}, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"))
    log_path = layout.candidates / f"{name}.train.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=layout.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   preexec_fn=lambda: os.nice(niceness))
        last_bucket = None  # report every 10 % of the epochs of each model
        for line in _lines(process.stdout):
            log.write(line + "\n")
            component = _COMPONENT.search(line)
            epochs = _EPOCHS.search(line)
            if component:
                last_bucket = None
                on_progress(TrainProgress(time.monotonic() - started, "training", component.group(0)))
            elif epochs and int(epochs.group(1)) // 10 != last_bucket:
                last_bucket = int(epochs.group(1)) // 10
                on_progress(TrainProgress(time.monotonic() - started, "epochs", f"{epochs.group(1)}%"))
        returncode = process.wait()
    if returncode != 0:
        raise RuntimeError(f"rasa train failed ({returncode}); log: {log_path}")
    if not target.exists():
        raise RuntimeError(f"rasa train wrote no {target.name}; log: {log_path}")
    seconds = time.monotonic() - started
    on_progress(TrainProgress(seconds, "done", str(target)))
    return TrainResult(target, seconds)


def _lines(stream):
    """Lines of a byte stream, splitting on \\r too (progress bars redraw in place)."""
    buffer = b""
    while True:
        chunk = stream.read1(4096) if hasattr(stream, "read1") else stream.read(4096)
        if not chunk:
            break
        buffer += chunk
        *complete, buffer = re.split(rb"[\r\n]", buffer)
        for raw in complete:
            if raw.strip():
                yield raw.decode("utf-8", "replace")
    if buffer.strip():
        yield buffer.decode("utf-8", "replace")
