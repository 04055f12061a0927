"""A candidate reuses a kept model only when the fingerprint the project computes of the training inputs
equals the one recorded for that model; Rasa's cache has no say. No training happens here: a reuse copies
the kept file, and a test that would train stops at the first sign of it."""

from __future__ import annotations

import pytest

from maintainer.annotate import annotate
from maintainer.train import TrainProgress, identical_model, input_files, input_fingerprint, record_fingerprint, recorded_fingerprint, train_candidate


def kept_model(directory, name: str, fingerprint: str | None):
    directory.mkdir(parents=True, exist_ok=True)
    model = directory / f"{name}.tar.gz"
    model.write_bytes(f"model {name}".encode())
    if fingerprint:
        record_fingerprint(model, fingerprint)
    return model


def test_the_fingerprint_follows_every_training_input(copied):
    names = {name.split("/")[0] for name, _ in input_files(copied)}
    assert {"config.yml", "domain", "content", "code", "data0"} <= names
    first = input_fingerprint(copied)
    assert input_fingerprint(copied) == first  # same bytes, same fingerprint
    annotate(["cho hỏi làm lại giấy tờ nhà ở đâu vậy"], "find_procedure", "lan", copied)
    after_annotation = input_fingerprint(copied)
    assert after_annotation != first
    domain = copied.domain / "core.yml"
    domain.write_text(domain.read_text(encoding="utf-8") + "\n# a comment changes the bytes\n", encoding="utf-8")
    assert input_fingerprint(copied) != after_annotation
    content = copied.content / "procedures" / "passport.yml"
    before_content = input_fingerprint(copied)
    content.write_text(content.read_text(encoding="utf-8").replace("- làm hc\n", "- làm hc nhanh\n"), encoding="utf-8")
    assert input_fingerprint(copied) != before_content


def test_only_a_model_recorded_with_the_same_inputs_is_reused(copied):
    fingerprint = input_fingerprint(copied)
    kept_model(copied.models, "unrecorded", None)  # e.g. trained by scripts/train.sh: never reused
    assert identical_model(fingerprint, [copied.models]) is None
    old = kept_model(copied.released, "released-old", "0" * 64)
    same = kept_model(copied.released, "released-same", fingerprint)
    assert identical_model(fingerprint, [copied.models, copied.released]) == same
    assert identical_model(fingerprint, [copied.candidates]) is None  # a folder that does not exist

    progress: list[TrainProgress] = []
    result = train_candidate(copied, name="candidate-reused", on_progress=progress.append)
    assert result.reused_from == same and result.model.read_bytes() == same.read_bytes()
    assert recorded_fingerprint(result.model) == fingerprint
    assert [p.stage for p in progress] == ["checking", "reused"]
    assert old.exists()


class TrainingStarted(Exception):
    pass


def test_changed_inputs_train_even_when_a_model_of_the_old_inputs_is_kept(copied):
    kept_model(copied.released, "released", input_fingerprint(copied))
    annotate(["cho hỏi làm lại giấy tờ nhà ở đâu vậy"], "find_procedure", "lan", copied)

    def stop_at_training(progress: TrainProgress) -> None:
        if progress.stage == "training":
            raise TrainingStarted(progress.detail)

    with pytest.raises(TrainingStarted):
        train_candidate(copied, name="candidate-new", on_progress=stop_at_training)
    assert not (copied.candidates / "candidate-new.tar.gz").exists()
