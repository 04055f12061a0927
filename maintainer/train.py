"""Train a candidate model into models/candidates/ without touching the active model.

Runs `rasa train` at a lower CPU priority (nice) so the running assistant keeps answering, and
reports progress (the component being trained, DIET/TED epochs) through a callback. Each model the
loop trains gets a sidecar `<model>.inputs.json` with the fingerprint of what it was trained from
(`input_fingerprint`: data, domain, config, the resolver's content and the NLU code). A candidate whose
inputs have the fingerprint recorded for a kept model is that model, copied under the candidate's name
instead of being retrained. Rasa's own `train --dry-run` is not asked: it answers from Rasa's component
cache, so once some data was trained it may call an older model "identical" to it. A model without a
recorded fingerprint (trained by `scripts/train.sh`) is never reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from evaluation.run import latest_model as newest_model  # noqa: F401 - the loop names it from here
from maintainer.layout import RASA, ROOT, Layout

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
    return [
        RASA,
        "train",
        "--domain",
        str(layout.domain),
        "--config",
        str(layout.root / "config.yml"),
        "--data",
        *map(str, _data_dirs(layout)),
        "--out",
        str(out),
    ]


def _data_dirs(layout: Layout) -> list[Path]:
    root = layout.root
    dirs = [root / "data"]
    if not layout.reviewed.resolve().is_relative_to((root / "data").resolve()) and any(layout.reviewed.glob("*.yml")):
        dirs.append(layout.reviewed)  # annotations kept outside data/ (tests) train too
    return dirs


def input_files(layout: Layout) -> list[tuple[str, Path]]:
    """(name, path) of every file a model is trained from: what `rasa train` reads (config, domain, data)
    and what the custom NLU components read (knowledge content, their code, the pinned dependencies)."""
    folders = [("domain", layout.domain), ("content", layout.content), ("code", ROOT / "bot" / "nlu")]
    folders += [(f"data{i}", folder) for i, folder in enumerate(_data_dirs(layout))]
    files = [("config.yml", layout.root / "config.yml"), ("pyproject.toml", ROOT / "pyproject.toml")]
    for name, folder in folders:
        paths = [p for pattern in ("*.yml", "*.yaml", "*.py") for p in folder.rglob(pattern) if p.is_file()]
        files += sorted((f"{name}/{path.relative_to(folder).as_posix()}", path) for path in paths if "__pycache__" not in path.parts)
    return files


def input_fingerprint(layout: Layout) -> str:
    """SHA-256 over the names and contents of `input_files`: equal only when a training would read the
    same bytes. Relative names, so the same files give the same fingerprint in any checkout."""
    digest = hashlib.sha256()
    for name, path in input_files(layout):
        content = path.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode("utf-8"))
        digest.update(content)
    return digest.hexdigest()


def inputs_path(model: Path) -> Path:
    """The sidecar recording what `model` was trained from."""
    return model.with_name(model.name.removesuffix(".tar.gz") + ".inputs.json")


def recorded_fingerprint(model: Path) -> Optional[str]:
    try:
        return json.loads(inputs_path(model).read_text(encoding="utf-8"))["fingerprint"]
    except (OSError, ValueError, KeyError):
        return None


def record_fingerprint(model: Path, fingerprint: str) -> Path:
    path = inputs_path(model)
    path.write_text(json.dumps({"model": model.name, "fingerprint": fingerprint}, indent=2) + "\n", encoding="utf-8")
    return path


def identical_model(fingerprint: str, directories: Sequence[Path]) -> Optional[Path]:
    """The newest model in `directories` recorded as trained from inputs with this fingerprint."""
    models = [m for d in directories if d.is_dir() for m in d.glob("*.tar.gz") if recorded_fingerprint(m) == fingerprint]
    return max(models, key=lambda m: m.stat().st_mtime, default=None)


def candidate_name() -> str:
    return time.strftime("candidate-%Y%m%d-%H%M%S", time.gmtime())


def train_candidate(
    layout: Layout,
    *,
    niceness: int = DEFAULT_NICENESS,
    force: bool = False,
    reuse: bool = True,
    reuse_from: Optional[Sequence[Path]] = None,
    name: Optional[str] = None,
    on_progress: Callable[[TrainProgress], None] = print,
) -> TrainResult:
    started = time.monotonic()
    layout.candidates.mkdir(parents=True, exist_ok=True)
    name = name or candidate_name()
    target = layout.candidates / f"{name}.tar.gz"

    # Taken before training: files edited meanwhile must not be credited to this model.
    fingerprint = input_fingerprint(layout)
    if reuse and not force:
        on_progress(TrainProgress(time.monotonic() - started, "checking", f"is a kept model trained from these inputs ({fingerprint[:12]})?"))
        same = identical_model(fingerprint, reuse_from or (layout.models, layout.released, layout.candidates))
        if same is not None:
            shutil.copy2(same, target)
            os.utime(target)
            record_fingerprint(target, fingerprint)
            on_progress(TrainProgress(time.monotonic() - started, "reused", f"{same.name} -> {target.name}"))
            return TrainResult(target, time.monotonic() - started, reused_from=same)

    command = _train_command(layout, layout.candidates) + ["--fixed-model-name", name]
    if force:
        command.append("--force")
    on_progress(
        TrainProgress(time.monotonic() - started, "training", f"niceness {niceness}, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    )
    log_path = layout.candidates / f"{name}.train.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=layout.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=lambda: os.nice(niceness))
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
    record_fingerprint(target, fingerprint)
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
