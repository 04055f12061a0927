"""Understanding figures across DIET seeds: `python -m evaluation.seeds [--seeds 42 1 2] [--out DIR]`.

The intent classifier starts every training from a random seed (config.yml `random_seed: 42`, so that one
training gives reproducible figures). A change of training data moves DIET about as much as a change of seed:
between two trainings, a few messages of the held-out sets flip either way, so a difference of one or two
messages between two models says little. This trains the current checkout once per seed (the same data and
config, only `random_seed` changed, into DIR rather than models/) and prints the figures of each on the short
held-out set and on the real held-out questions, with their range. To compare with an earlier state, run it
in a worktree of that commit (`git worktree add /tmp/before <ref>`, then this command there with
`PYTHONPATH=/tmp/before`): the README's measured figures were compared that way.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

from evaluation.run import RASA, ROOT, VARIANTS, latest_model, metrics, parse_all, read_heldout, share

COLUMNS = [
    ("short: landed, accented", "short", "accented"),
    ("unaccented", "short", "unaccented"),
    ("English", "short", "english"),
    ("out of scope declined", "short", "oos"),
    ("wrongly declined", "short", "wrong"),
    ("real: landed, Vietnamese", "real", "accented"),
    ("English", "real", "english"),
    ("landed or offered ≤ 3, Vietnamese", "real", "reached accented"),
    ("English", "real", "reached english"),
    ("out of scope declined", "real", "oos"),
    ("wrongly declined", "real", "wrong"),
]


def seeded_config(config: str, seed: int) -> str:
    """config.yml with DIET's `random_seed` set to `seed` (exactly one such line, or it refuses)."""
    changed, count = re.subn(r"(?m)^(\s*random_seed:\s*)\d+", rf"\g<1>{seed}", config)
    if count != 1:
        raise ValueError(f"config has {count} random_seed lines, expected exactly one")
    return changed


def train(seed: int, out: Path) -> Path:
    config = out / f"config-{seed}.yml"
    config.write_text(seeded_config((ROOT / "config.yml").read_text(encoding="utf-8"), seed), encoding="utf-8")
    models = out / f"seed-{seed}"
    command = RASA + ["train", "--domain", "domain", "--config", str(config), "--data", "data", "--out", str(models)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    model = latest_model(models)
    assert model is not None, f"no model in {models}"
    return model


def figures_of(model: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """(set, measure) -> (count, of) for the columns above, from one parse of both sets."""
    from evaluation.real_questions import figures, read_questions, rows, split

    short_rows = read_heldout()
    real_rows = rows(split(read_questions())[1])
    outcomes = asyncio.run(parse_all(model, short_rows + real_rows))
    short, real = metrics(outcomes[: len(short_rows)]), figures(outcomes[len(short_rows) :])
    found = {("short", v): short["landing"][v]["landed_directly"] for v in VARIANTS}
    found.update({("short", "oos"): short["oos_recall"], ("short", "wrong"): short["wrongly_declined"]})
    found.update({("real", v): real["direct"][v] for v in VARIANTS})
    found.update({("real", f"reached {v}"): real["with_clarify"][v] for v in VARIANTS})
    found.update({("real", "oos"): real["oos_recall"], ("real", "wrong"): real["wrongly_declined"]})
    return found


def table(results: dict[int, dict[tuple[str, str], tuple[int, int]]]) -> list[str]:
    lines = ["| seed | " + " | ".join(name for name, _, _ in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for seed, found in results.items():
        cells = [f"{share(*found[(s, m)]):.1%} ({found[(s, m)][0]}/{found[(s, m)][1]})" for _, s, m in COLUMNS]
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    ranges = []
    for _, s, m in COLUMNS:
        values = [share(*found[(s, m)]) for found in results.values()]
        ranges.append(f"{min(values):.1%} – {max(values):.1%}")
    lines.append("| range | " + " | ".join(ranges) + " |")
    return lines


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--out", type=Path, help="where the seeded models go (default: a temporary directory)")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="seeds-"))
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for seed in args.seeds:
        print(f"seed {seed}: training into {out / f'seed-{seed}'}", flush=True)
        results[seed] = figures_of(train(seed, out))
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
