"""The release gate: what a candidate may not lose, and the audited supervisor override."""

from __future__ import annotations

import getpass
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Optional

from maintainer.layout import Layout

logger = logging.getLogger(__name__)

MAX_IDENTIFICATION_DROP = 0.01  # one percentage point, on any variant


@dataclass
class GateDecision:
    passed: bool
    reasons: list[str] = field(default_factory=list)  # why it fails (empty when it passes)
    override: Optional[str] = None  # the supervisor's written reason, when released anyway

    @property
    def releasable(self) -> bool:
        return self.passed or bool(self.override)

    def as_dict(self) -> dict:
        return {"passed": self.passed, "reasons": self.reasons, "override": self.override}


def _share(pair) -> float:
    part, whole = pair
    return part / whole if whole else 0.0


def evaluate_gate(report: dict) -> GateDecision:
    """Refuses a candidate whose identification drops by more than 1 point on any variant, whose
    out-of-scope recall drops, or that fails (or did not run) any conversation test."""
    reasons = []
    active, candidate = report["heldout"]["active"], report["heldout"]["candidate"]
    for variant, before in active["procedure"].items():
        after = candidate["procedure"][variant]
        if _share(after) < _share(before) - MAX_IDENTIFICATION_DROP - 1e-9:
            reasons.append(
                f"procedure identification, {variant}: {_share(before):.1%} -> {_share(after):.1%} (drop > {MAX_IDENTIFICATION_DROP:.0%} point)"
            )
    if _share(candidate["oos_recall"]) < _share(active["oos_recall"]) - 1e-9:
        reasons.append(f"out-of-scope recall: {_share(active['oos_recall']):.1%} -> {_share(candidate['oos_recall']):.1%}")
    stories = report.get("stories")
    if not stories or stories.get("total") is None:
        reasons.append("conversation tests were not run")
    elif stories["failed"]:
        reasons.append(f"conversation tests failed: {len(stories['failed'])} of {stories['total']} ({', '.join(stories['failed'][:5])})")
    return GateDecision(passed=not reasons, reasons=reasons)


def apply_override(decision: GateDecision, reason: Optional[str], by: Optional[str], candidate: str, layout: Layout) -> GateDecision:
    """A failed gate with a written reason becomes releasable; the override is audit-logged."""
    if decision.passed or not reason:
        return decision
    if not reason.strip():
        raise ValueError("an override needs a written reason")
    decision.override = reason.strip()
    audit(layout, "gate-override", by=by, candidate=candidate, reason=decision.override, refused_because=decision.reasons)
    return decision


def audit(layout: Layout, action: str, by: Optional[str] = None, **details) -> dict:
    """Appends one line to the audit log (JSON Lines) and logs it."""
    entry = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "action": action, "by": by or getpass.getuser(), **details}
    layout.audit_log.parent.mkdir(parents=True, exist_ok=True)
    with layout.audit_log.open("a", encoding="utf-8") as file:
        file.write(json.dumps(entry, ensure_ascii=False) + "\n")
    logger.warning("maintainer audit: %s", json.dumps(entry, ensure_ascii=False))
    return entry


def read_audit(layout: Layout) -> list[dict]:
    if not layout.audit_log.exists():
        return []
    return [json.loads(line) for line in layout.audit_log.read_text(encoding="utf-8").splitlines() if line.strip()]
