"""What the project's own NLU components keep in a trained model: JSON files in their resource,
and a fingerprint of the files Rasa cannot see in the training data (content, lists, code)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Tuple

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def files_digest(named_files: Iterable[Tuple[str, Path]]) -> str:
    """sha256 over each file's name and bytes, in the order given (names, not paths: the same files
    give the same fingerprint in any checkout)."""
    digest = hashlib.sha256()
    for name, path in named_files:
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def save_json(model_storage: ModelStorage, resource: Resource, file_name: str, data: Any) -> None:
    with model_storage.write_to(resource) as directory:
        (Path(directory) / file_name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def load_json(model_storage: ModelStorage, resource: Resource, file_name: str) -> Any:
    with model_storage.read_from(resource) as directory:
        return json.loads((Path(directory) / file_name).read_text(encoding="utf-8"))
