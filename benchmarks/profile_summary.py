"""Summarises a py-spy `--format raw` profile (collapsed stacks): where the server's time goes.

    .venv/bin/py-spy record --pid <rasa pid> --duration 45 --rate 50 --format raw -o profile.txt --nonblocking
    .venv/bin/python -m benchmarks.profile_summary profile.txt [--top 40] [--match jsonschema ...]

Prints, for the busiest functions, the share of samples in which each is on the stack
(inclusive), and the share of samples that contain any frame matching each `--match` pattern.
Idle samples (the event loop waiting in `select`/`epoll`) are counted apart.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

IDLE = re.compile(r"\b(select|poll|epoll)\b.*selectors\.py")


def parse(path: Path):
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield stack.split(";"), int(count)


def shares(path: Path, patterns: list[str]) -> tuple[int, int, Counter[str]]:
    """(busy samples, idle samples, busy samples with a frame matching each pattern)."""
    matches: Counter[str] = Counter()
    total = idle = 0
    for frames, count in parse(path):
        if IDLE.search(frames[-1]):
            idle += count
            continue
        total += count
        joined = ";".join(frames)
        for pattern in patterns:
            if re.search(pattern, joined):
                matches[pattern] += count
    return total, idle, matches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", action="append", default=[])
    args = parser.parse_args()
    total, idle, matches = shares(args.profile, args.match)
    inclusive: Counter[str] = Counter()
    for frames, count in parse(args.profile):
        if not IDLE.search(frames[-1]):
            for frame in set(frames):
                inclusive[frame] += count
    print(f"busy samples: {total}, idle samples: {idle}")
    for pattern in args.match:
        print(f"{100 * matches[pattern] / max(total, 1):5.1f} %  any frame matching {pattern!r}")
    print()
    for frame, count in inclusive.most_common(args.top):
        print(f"{100 * count / max(total, 1):5.1f} %  {frame}")


if __name__ == "__main__":
    main()
