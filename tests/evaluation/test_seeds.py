"""The seed study changes DIET's seed and nothing else in the configuration."""

from __future__ import annotations

import pytest

from evaluation.run import ROOT
from evaluation.seeds import seeded_config


def test_only_the_seed_line_changes():
    config = (ROOT / "config.yml").read_text(encoding="utf-8")
    seeded = seeded_config(config, 7)
    changed = [(a, b) for a, b in zip(config.splitlines(), seeded.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][1].strip().startswith("random_seed: 7")
    assert len(seeded.splitlines()) == len(config.splitlines())


def test_a_config_without_exactly_one_seed_is_refused():
    with pytest.raises(ValueError):
        seeded_config("pipeline:\n  - name: DIETClassifier\n", 1)
    with pytest.raises(ValueError):
        seeded_config("a:\n  random_seed: 1\nb:\n  random_seed: 2\n", 3)
