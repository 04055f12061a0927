"""The maintainers' background jobs: `python -m maintainer train|compare|release|rollback` run one at a
time as subprocesses of the console's own environment (.venv), at a lower CPU priority, their output
kept for the models page (which polls it). Rasa is only ever imported in those subprocesses. The last
job (output, outcome) is also written to `Layout.job_file` (var/maintainer-job.json), so a restarted
console still shows how it ended.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from maintainer.layout import ROOT, Layout

logger = logging.getLogger(__name__)

JOB_NICENESS = 10  # train/compare/release run below the assistant's priority
JOB_LINES_KEPT = 400
SAVE_INTERVAL = 1.0  # seconds between writes of a running job's output to its file
INTERRUPTED = "the console stopped while this job ran: it did not finish"


@dataclass(frozen=True)
class MaintainerPlaces:
    """Where the loop's files are, for the pages and for the subprocesses they start."""

    layout: Layout
    stories_dir: Path
    python: str

    @classmethod
    def from_environment(cls) -> "MaintainerPlaces":
        venv_python = ROOT / ".venv" / "bin" / "python"
        stories = Path(os.environ.get("MAINTAINER_STORIES_DIR") or ROOT / "tests" / "stories")
        return cls(layout=Layout.from_environment(), stories_dir=stories, python=str(venv_python) if venv_python.exists() else "python")

    def with_layout(self, layout: Layout, stories_dir: Optional[Path] = None) -> "MaintainerPlaces":
        return replace(self, layout=layout, stories_dir=stories_dir or self.stories_dir)


# ------------------------------------------------------------------ background jobs


@dataclass
class Job:
    kind: str  # train, compare, release, rollback
    command: list[str]
    started_by: str
    started_at: float = field(default_factory=time.time)
    lines: deque = field(default_factory=lambda: deque(maxlen=JOB_LINES_KEPT))
    returncode: Optional[int] = None
    ended_at: Optional[float] = None

    @property
    def running(self) -> bool:
        return self.returncode is None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "started_by": self.started_by,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "running": self.running,
            "returncode": self.returncode,
            "lines": list(self.lines),
            "command": self.command,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Job":
        job = cls(
            str(data["kind"]),
            list(data.get("command") or []),
            str(data["started_by"]),
            float(data["started_at"]),
            returncode=data.get("returncode"),
            ended_at=data.get("ended_at"),
        )
        job.lines.extend(str(line) for line in data.get("lines") or [])
        if job.running:  # written by a console that stopped before the job ended
            job.lines.append(INTERRUPTED)
            job.returncode, job.ended_at = -1, job.ended_at or job.started_at
        return job


class JobRunner:
    """Runs one `python -m maintainer` command at a time and keeps its output, also in `job_file`."""

    def __init__(self, job_file: Optional[Path] = None) -> None:
        self.job_file = job_file
        self.current: Optional[Job] = self._load()
        self._task: Optional[asyncio.Task] = None
        self._process: Optional[asyncio.subprocess.Process] = None
        self._saved_at = 0.0

    def _load(self) -> Optional[Job]:
        if self.job_file is None or not self.job_file.exists():
            return None
        try:
            return Job.from_dict(json.loads(self.job_file.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("unreadable job file %s: starting without the last job", self.job_file)
            return None

    def _save(self, job: Job, force: bool = False) -> None:
        if self.job_file is None or (not force and time.monotonic() - self._saved_at < SAVE_INTERVAL):
            return
        self._saved_at = time.monotonic()
        try:
            self.job_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self.job_file.with_suffix(".tmp")
            partial.write_text(json.dumps(job.as_dict(), ensure_ascii=False), encoding="utf-8")
            partial.replace(self.job_file)  # a reader never sees half a file
        except OSError:
            logger.exception("could not write %s", self.job_file)

    @property
    def busy(self) -> bool:
        return self.current is not None and self.current.running

    def start(self, kind: str, arguments: list[str], by: str, places: MaintainerPlaces, env: dict) -> Job:
        if self.busy:
            raise RuntimeError(f"{self.current.kind} is still running")
        job = Job(kind, [places.python, "-m", "maintainer", *arguments], by)
        self.current = job
        self._save(job, force=True)
        self._task = asyncio.create_task(self._run(job, places, env))
        return job

    async def _run(self, job: Job, places: MaintainerPlaces, env: dict) -> None:
        try:
            self._process = await asyncio.create_subprocess_exec(
                *job.command,
                cwd=str(places.layout.root),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=lambda: os.nice(JOB_NICENESS),
            )
            assert self._process.stdout is not None
            async for raw in self._process.stdout:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    job.lines.append(line)
                    self._save(job)
            job.returncode = await self._process.wait()
        except Exception as problem:  # the page must show why, not spin forever
            logger.exception("maintainer job %s failed", job.kind)
            job.lines.append(f"error: {problem}")
            job.returncode = -1
        finally:
            job.ended_at = time.time()
            self._save(job, force=True)

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), 20)
            except asyncio.TimeoutError:
                self._process.kill()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
