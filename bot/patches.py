"""Small, checked patches of Rasa 3.6 applied in the Rasa server process.

Two patches: action-server responses validated with a validator built once, and the model's
prediction graph run without dask's scheduler (`bot/graph_runner.py`, whose docstring says why).

Rasa 3.6 checks every custom-action response with `jsonschema.validate(result, schema)`
(`RemoteAction._validate_action_result` in `rasa/core/actions/action.py`). That helper
re-checks the schema itself against the JSON Schema meta-schema and builds a new validator
on every call; under 20 concurrent conversations this was about 40 % of the Rasa server's CPU
(py-spy profile in benchmarks/REPORT.md). The patched method validates with the same schema
(`RemoteAction.action_response_format_spec()`), the same validator class (`validator_for`),
the same checks and the same error (`best_match`, with Rasa's message appended); only the
schema check and the validator construction happen once, when the patch is applied.

The graph-runner patch makes `MessageProcessor._load_model` load models with
`SequentialGraphRunner`; it checks that `DaskGraphRunner.run` is still the code whose contract
`SequentialGraphRunner.run` reproduces, and that `_load_model` still names the runner class.

Each patch is applied only to the exact code it was written for: `apply()` compares the
source of the method it replaces, and of the call site in `RemoteAction.run`, with the
Rasa 3.6.21 code. When a Rasa upgrade changes either, `apply()` raises `RasaPatchError` and
the Rasa server does not start (it is applied when Rasa imports `bot.tracker_store`), with a
message that says what to do (port the patch, or drop it, or run unpatched with RASA_PATCHES=off). tests/bot/test_patches.py checks both.
The upstream proposal
is in docs/upstream/rasa-validator-once.md.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
import textwrap
from typing import Any, Callable

logger = logging.getLogger(__name__)

# sha256 of the source of the method the patch replaces, as released in Rasa 3.6.21
# (dedented, trailing whitespace stripped).
EXPECTED_VALIDATE_SOURCE_SHA256 = "ce61fe852bba0d78041dccaa58b2b43722f31b27478829fe4d499b2004f202bd"
# The call the patched method must still be reached by, in `RemoteAction.run`.
EXPECTED_CALL_SITE = "self._validate_action_result(response)"

# sha256 of `DaskGraphRunner.run` in Rasa 3.6.21: the contract SequentialGraphRunner.run keeps.
EXPECTED_DASK_RUN_SOURCE_SHA256 = "f58ed98f29b1bd4da35066a5dddbe7aa92c558566f8a437d0e3f3eb43b8aeae1"
# How `MessageProcessor._load_model` passes the runner class to the model loader.
EXPECTED_RUNNER_CALL_SITE = "DaskGraphRunner,"

_PATCHED_MARK = "_citizen_assistant_patched"


class RasaPatchError(RuntimeError):
    """Rasa's code is not the code a patch was written for: the patch was not applied.

    Deliberately not an ImportError: Rasa falls back to an in-memory tracker store when a
    custom tracker store module raises ImportError, which would hide this failure.
    """


def _fingerprint(source: str) -> str:
    """sha256 of the source with indentation and trailing blanks normalised."""
    normalised = "\n".join(line.rstrip() for line in textwrap.dedent(source).strip().splitlines())
    return hashlib.sha256(normalised.encode()).hexdigest()


def build_action_response_validator(remote_action_class: Any) -> Callable[[Any, dict], bool]:
    """`_validate_action_result` with the schema checked and the validator built once.

    The replaced method stays reachable as `.original` (tests compare the two).
    """
    original = remote_action_class.__dict__["_validate_action_result"]
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.shared.constants import DOCS_BASE_URL

    schema = remote_action_class.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # what jsonschema.validate does on every call
    validator = validator_class(schema)

    def _validate_action_result(self: Any, result: dict) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        if not isinstance(error, ValidationError):  # pragma: no cover - best_match yields these
            raise error
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    setattr(_validate_action_result, _PATCHED_MARK, True)
    _validate_action_result.original = original  # type: ignore[attr-defined]
    _validate_action_result.__doc__ = "Rasa's check with a validator built once (bot.patches)."
    return _validate_action_result


def check_validator_patch_applies(remote_action_class: Any) -> None:
    """Raises `RasaPatchError` unless the class holds the exact code the patch replaces."""
    current = remote_action_class.__dict__.get("_validate_action_result")
    if current is None:
        raise RasaPatchError(_upgrade_message("RemoteAction._validate_action_result no longer exists"))
    if getattr(current, _PATCHED_MARK, False):
        return
    _require_source(current, "RemoteAction._validate_action_result", EXPECTED_VALIDATE_SOURCE_SHA256)
    _require_call_site(remote_action_class.run, "RemoteAction.run", f"calls `{EXPECTED_CALL_SITE}`", EXPECTED_CALL_SITE)


def apply_action_response_validator_patch(remote_action_class: Any = None) -> bool:
    """Replaces `RemoteAction._validate_action_result`; True when it was applied now.

    Idempotent. Raises `RasaPatchError` when Rasa's code is not the code it was written for.
    """
    if remote_action_class is None:
        from rasa.core.actions.action import RemoteAction

        remote_action_class = RemoteAction
    check_validator_patch_applies(remote_action_class)
    if getattr(remote_action_class.__dict__["_validate_action_result"], _PATCHED_MARK, False):
        return False
    remote_action_class._validate_action_result = build_action_response_validator(remote_action_class)
    logger.info("bot.patches: action-server responses are validated with a validator built once")
    return True


def apply_graph_runner_patch(processor_module: Any = None, dask_runner_class: Any = None) -> bool:
    """Makes the Rasa server load models with `SequentialGraphRunner`; True when applied now.

    Idempotent. Raises `RasaPatchError` when Rasa's code is not the code it was written for.
    """
    import rasa.core.processor
    from rasa.engine.runner.dask import DaskGraphRunner

    from bot.graph_runner import SequentialGraphRunner

    processor_module = processor_module or rasa.core.processor
    dask_runner_class = dask_runner_class or DaskGraphRunner
    if getattr(processor_module, "DaskGraphRunner", None) is SequentialGraphRunner:
        return False
    _require_source(dask_runner_class.run, "DaskGraphRunner.run", EXPECTED_DASK_RUN_SOURCE_SHA256)
    load_model = getattr(getattr(processor_module, "MessageProcessor", None), "_load_model", None)
    if load_model is None or getattr(processor_module, "DaskGraphRunner", None) is not dask_runner_class:
        raise RasaPatchError(_upgrade_message("rasa.core.processor no longer loads models with DaskGraphRunner"))
    _require_call_site(load_model, "MessageProcessor._load_model", f"passes `{EXPECTED_RUNNER_CALL_SITE}`", EXPECTED_RUNNER_CALL_SITE)
    processor_module.DaskGraphRunner = SequentialGraphRunner
    logger.info("bot.patches: models run their prediction graph without dask's scheduler")
    return True


def _source_or_refuse(function: Callable[..., Any], name: str) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError) as error:  # no source shipped: cannot tell it is the same code
        raise RasaPatchError(_upgrade_message(f"the source of {name} is unavailable ({error})")) from error


def _require_source(function: Callable[..., Any], name: str, expected_sha256: str) -> None:
    """Refuses unless `function` is the exact code a patch was written for."""
    fingerprint = _fingerprint(_source_or_refuse(function, name))
    if fingerprint != expected_sha256:
        raise RasaPatchError(_upgrade_message(f"{name} changed (source sha256 {fingerprint[:12]}…, expected {expected_sha256[:12]}…)"))


def _require_call_site(function: Callable[..., Any], name: str, what: str, call: str) -> None:
    """Refuses unless `function` still holds the call a patch relies on ("`name` no longer `what`")."""
    if call not in _source_or_refuse(function, name):
        raise RasaPatchError(_upgrade_message(f"{name} no longer {what}"))


# Escape hatch for measuring Rasa unpatched (benchmarks) or for running an upgraded Rasa before
# the patch is ported: RASA_PATCHES=off.
SWITCH = "RASA_PATCHES"


def apply() -> None:
    """Every patch of this module (called when Rasa imports bot.tracker_store)."""
    if os.environ.get(SWITCH, "on").lower() in ("off", "0", "false", "no"):
        logger.warning("bot.patches: %s=off, Rasa runs unpatched (slower)", SWITCH)
        return
    apply_action_response_validator_patch()
    apply_graph_runner_patch()


def _upgrade_message(what: str) -> str:
    import rasa

    return (
        f"bot/patches.py cannot patch Rasa {rasa.__version__}: {what}. The patches were written for "
        "Rasa 3.6.21. If this Rasa release already does what the patch does (for the validator see "
        "docs/upstream/rasa-validator-once.md), delete the patch and its call in `apply`; otherwise "
        "port it to the new code and update its fingerprint (or run unpatched: RASA_PATCHES=off)."
    )
