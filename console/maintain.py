"""The maintainers' pages: inbox and annotation, candidate training, comparison, gate, release, rollback,
and "from conversation to test".

Every step calls the `maintainer` package (never a copy of its logic). What needs Rasa or takes long
(train, compare, release, rollback) runs as `python -m maintainer ...` in a subprocess of the
console's own environment (.venv), at a lower CPU priority, one at a time; its output is shown on the
models page, which polls `/maintain/job.json`. Maintainers and supervisors may use these pages; only a
supervisor may release a candidate the gate refused, with a written reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from pathlib import Path
from typing import Optional

from aiohttp import web

from console.auth import require_maintainer
from console.index import queries
from console.index.maintainer_source import ConsoleIndexMessages
from console.jobs import JobRunner, MaintainerPlaces
from console.keys import MAINTAINER, MAINTAINER_JOBS, SETTINGS
from console.pages import engine, flash, render
from maintainer.annotate import AnnotationRefused, annotate, domain_intents, ignore
from maintainer.compare import load_report, report_paths
from maintainer.gate import evaluate_gate
from maintainer.inbox import InboxGroup, build_inbox, find_group
from maintainer.intents import create_intent
from maintainer.layout import ROOT, Layout, tracker_store_url
from maintainer.procedures import procedure_ids, set_procedure
from maintainer.release import read_manifest
from maintainer.stories import export_story
from maintainer.train import newest_model

logger = logging.getLogger(__name__)

OUT_OF_SCOPE_INTENT = "out_of_scope"
INBOX_LIMIT = 2000  # recent citizen messages read, as `python -m maintainer inbox`
INBOX_SHOWN = 200
MODEL_FILE = re.compile(r"^[\w.-]+\.tar\.gz$")
ANNOTATE_ACTIONS = ("confirm", "intent", "procedure", "out_of_scope", "ignore", "new_intent")


def _job_environment(request: web.Request, places: MaintainerPlaces) -> dict:
    settings = request.app[SETTINGS]
    layout = places.layout
    return {
        **os.environ,
        "MODELS_DIR": str(layout.models),
        "MAINTAINER_REVIEWED_DIR": str(layout.reviewed),
        "MAINTAINER_AUDIT_LOG": str(layout.audit_log),
        "RASA_URL": settings.rasa_url,
        "JWT_SECRET": settings.jwt_secret,
        "MAINTAINER_NAME": request["account"]["username"],
        "PYTHONUNBUFFERED": "1",
    }


# ------------------------------------------------------------------ helpers


def _places(request: web.Request) -> MaintainerPlaces:
    return request.app[MAINTAINER]


def _source(request: web.Request) -> ConsoleIndexMessages:
    return ConsoleIndexMessages(engine(request), tracker_store_url())


def _audit(request: web.Request, action: str, target: Optional[str] = None, detail: Optional[str] = None) -> None:
    with engine(request).begin() as connection:
        queries.record_audit(connection, request["account"]["username"], action, target, detail)


def _model_in(directories: list[Path], name: str) -> Optional[Path]:
    if not MODEL_FILE.match(name):
        return None
    for directory in directories:
        if (directory / name).is_file():
            return directory / name
    return None


# ------------------------------------------------------------------ inbox and annotation


async def inbox_page(request: web.Request) -> web.Response:
    require_maintainer(request)
    places = _places(request)
    only_problems = request.query.get("problems") == "1"
    groups = await asyncio.to_thread(build_inbox, _source(request), places.layout, INBOX_LIMIT, only_problems=only_problems)
    intents = sorted(domain_intents(places.layout.domain))
    return await render(
        request,
        "maintain_inbox.html",
        {
            "groups": groups[:INBOX_SHOWN],
            "total_groups": len(groups),
            "intents": intents,
            "procedures": procedure_ids(places.layout),
            "only_problems": only_problems,
        },
    )


def _lines(value) -> list[str]:
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


async def inbox_annotate(request: web.Request) -> web.Response:
    """Confirm, correct the intent, set the procedure, mark out of scope, ignore, or create a new intent,
    for one or several inbox groups."""
    require_maintainer(request)
    form = await request.post()
    places = _places(request)
    who = request["account"]["username"]
    action = str(form.get("action", ""))
    group_ids = [str(g) for g in form.getall("group", [])]
    back = "/maintain/inbox" + ("?problems=1" if form.get("problems") == "1" else "")
    # A new intent may start from examples written by hand alone; every other action needs groups.
    if action not in ANNOTATE_ACTIONS or not (group_ids or action == "new_intent"):
        await flash(request, "choose_groups_and_action", error=True)
        raise web.HTTPSeeOther(back)
    groups = await asyncio.to_thread(build_inbox, _source(request), places.layout, INBOX_LIMIT)
    try:
        chosen = [find_group(groups, group_id) for group_id in group_ids]
    except KeyError:
        await flash(request, "group_gone", error=True)
        raise web.HTTPSeeOther(back) from None
    try:
        if action == "new_intent":
            await _new_intent(request, form, chosen)
            raise web.HTTPSeeOther(back)
        if action == "procedure":
            await _set_procedure(request, form, chosen)
            raise web.HTTPSeeOther(back)
        if action == "ignore":
            texts = [text for group in chosen for text in group.texts]
            ignore(texts, who, places.layout)
            _audit(request, "inbox_ignored", ",".join(group_ids), f"{len(texts)} texts")
        else:
            by_intent: dict[str, list[str]] = {}
            for group in chosen:
                intent = {"confirm": group.understood.intent, "out_of_scope": OUT_OF_SCOPE_INTENT, "intent": str(form.get("intent", ""))}[action]
                if not intent or intent == "nlu_fallback":
                    raise AnnotationRefused("the model did not understand this message: choose the intent")
                by_intent.setdefault(intent, []).extend(group.texts)
            for intent, texts in by_intent.items():
                annotate(texts, intent, who, places.layout, source="console inbox")
                _audit(request, "inbox_annotated", intent, f"{len(texts)} texts; groups {','.join(group_ids)}")
    except AnnotationRefused as refused:
        await flash(request, "annotation_refused", error=True, reason=str(refused))
        raise web.HTTPSeeOther(back) from None
    await flash(request, "annotated", count=str(len(group_ids)))
    raise web.HTTPSeeOther(back)


async def _set_procedure(request: web.Request, form, chosen: list[InboxGroup]) -> None:
    """The chosen groups are about one procedure: its alias joins the knowledge file (regenerated data),
    the texts become examples of the chosen intent."""
    places = _places(request)
    procedure, intent = str(form.get("procedure", "")), str(form.get("intent", ""))
    alias = " ".join(str(form.get("alias", "")).split()) or None
    language = next((g.understood.language for g in chosen if g.understood.language in ("vi", "en")), "vi")
    texts = [text for group in chosen for text in group.texts]
    result = await asyncio.to_thread(
        set_procedure, texts, procedure, intent, request["account"]["username"], places.layout, alias, language, "console inbox"
    )
    _audit(
        request,
        "inbox_procedure_set",
        procedure,
        f"intent {intent}; alias {'added' if result.alias_added else 'known'}; {len(texts)} texts; groups {','.join(g.id for g in chosen)}",
    )
    await flash(
        request,
        "procedure_alias_added" if result.alias_added else "procedure_alias_known",
        count=str(len(chosen)),
        procedure=procedure,
        alias=result.alias,
    )


async def _new_intent(request: web.Request, form, chosen: list[InboxGroup]) -> None:
    places = _places(request)
    examples = {"vi": _lines(form.get("examples_vi")), "en": _lines(form.get("examples_en"))}
    for group in chosen:
        examples["en" if group.understood.language == "en" else "vi"] += group.texts
    procedure = str(form.get("intent_procedure", "")) or None
    response = None if procedure else {"vi": str(form.get("response_vi", "")), "en": str(form.get("response_en", ""))}
    name = str(form.get("name", "")).strip()
    created = await asyncio.to_thread(
        create_intent, name, examples, request["account"]["username"], places.layout, response, procedure, "console inbox"
    )
    _audit(
        request,
        "intent_created",
        created.name,
        f"{created.response or 'procedure ' + str(created.procedure)}; {len(created.examples)} examples; "
        f"groups {','.join(g.id for g in chosen) or '-'}",
    )
    await flash(request, "intent_created", intent=created.name, count=str(len(created.examples)))


# ------------------------------------------------------------------ models: train, compare, gate, release


def _candidate_view(layout: Layout) -> Optional[dict]:
    candidate = newest_model(layout.candidates)
    if candidate is None:
        return None
    report = load_report(candidate)
    view = {"name": candidate.name, "modified": candidate.stat().st_mtime, "report": report, "gate": None}
    if report is not None:
        gate = evaluate_gate(report)
        view["gate"] = {**gate.as_dict(), "override": (report.get("gate") or {}).get("override")}
    return view


async def models_page(request: web.Request) -> web.Response:
    require_maintainer(request)
    layout = _places(request).layout
    manifest = read_manifest(layout)
    releases = list(reversed(manifest["releases"]))
    active_entry = next((r for r in releases if r["model"] == manifest["active"]), None)
    runner: JobRunner = request.app[MAINTAINER_JOBS]
    return await render(
        request,
        "maintain_models.html",
        {
            "candidate": _candidate_view(layout),
            "releases": releases,
            "active": manifest["active"],
            "can_roll_back": bool(active_entry and active_entry.get("previous")),
            "job": runner.current.as_dict() if runner.current else None,
        },
    )


async def job_json(request: web.Request) -> web.Response:
    require_maintainer(request)
    runner: JobRunner = request.app[MAINTAINER_JOBS]
    return web.json_response({"job": runner.current.as_dict() if runner.current else None}, headers={"Cache-Control": "no-store"})


async def start_job(request: web.Request) -> web.Response:
    """POST /maintain/{train|compare|release|rollback}: starts the command in the background."""
    require_maintainer(request)
    kind = request.match_info["kind"]
    form = await request.post()
    places = _places(request)
    who = request["account"]["username"]
    arguments: list[str]
    target: Optional[str] = None  # what the audit log names
    if kind == "train":
        # The whole job already runs at JOB_NICENESS. A kept model is reused only when its recorded input
        # fingerprint equals the current files' (maintainer.train), so annotations are always trained.
        arguments = ["train", "--nice", "0"]
    elif kind == "compare":
        candidate = newest_model(places.layout.candidates)
        if candidate is None:
            await flash(request, "no_candidate", error=True)
            raise web.HTTPSeeOther("/maintain/models")
        arguments, target = ["compare", str(candidate)], candidate.name
    elif kind == "release":
        candidate = _model_in([places.layout.candidates], str(form.get("model", "")))
        if candidate is None:
            raise web.HTTPBadRequest(text="no such candidate")
        arguments, target = ["release", str(candidate), "--by", who], candidate.name
        report = load_report(candidate)
        if report is None:
            await flash(request, "not_compared", error=True)
            raise web.HTTPSeeOther("/maintain/models")
        refused = not evaluate_gate(report).passed
        reason = " ".join(str(form.get("override", "")).split())
        if refused and not (report.get("gate") or {}).get("override"):
            if request["account"]["role"] != "supervisor":
                raise web.HTTPForbidden(text="the gate refused this candidate: only a supervisor may release it")
            if not reason:
                await flash(request, "override_needs_reason", error=True)
                raise web.HTTPSeeOther("/maintain/models")
            arguments += ["--override", reason]
            _audit(request, "gate_override", candidate.name, reason)
    elif kind == "rollback":
        arguments = ["rollback", "--by", who]
        to = str(form.get("to", ""))
        if to:
            if _model_in([places.layout.released], to) is None:
                raise web.HTTPBadRequest(text="no such release")
            arguments += ["--to", to]
        target = to or None
    else:
        raise web.HTTPNotFound()
    runner: JobRunner = request.app[MAINTAINER_JOBS]
    try:
        runner.start(kind, arguments, who, places, _job_environment(request, places))
    except RuntimeError:
        await flash(request, "job_busy", error=True)
        raise web.HTTPSeeOther("/maintain/models") from None
    _audit(request, f"maintainer_{kind}", target)
    raise web.HTTPSeeOther("/maintain/models")


async def report_page(request: web.Request) -> web.Response:
    require_maintainer(request)
    layout = _places(request).layout
    model = _model_in([layout.candidates, layout.released], request.match_info["model"])
    if model is None:
        raise web.HTTPNotFound(text="no such model")
    json_path, _ = report_paths(model)
    if not json_path.exists():
        raise web.HTTPNotFound(text="this model has not been compared")
    report = json.loads(json_path.read_text(encoding="utf-8"))
    return await render(request, "maintain_report.html", {"report": report, "rows": figure_rows(report), "model": model.name})


def _share(pair) -> Optional[float]:
    part, whole = pair
    return part / whole if whole else None


def figure_rows(report: dict) -> list[dict]:
    """The held-out figures of both models side by side, with the change in points."""
    active, candidate = report["heldout"]["active"], report["heldout"]["candidate"]
    rows = []
    for variant in active["procedure"]:
        rows.append(_pair_row(f"procedure: {variant}", active["procedure"][variant], candidate["procedure"][variant]))
    rows.append(_pair_row("out_of_scope_recall", active["oos_recall"], candidate["oos_recall"]))
    rows.append(_pair_row("wrongly_declined", active["wrongly_declined"], candidate["wrongly_declined"], lower_is_better=True))
    for kind in ("weighted", "macro"):
        before, after = active["intent_f1"][kind], candidate["intent_f1"][kind]
        rows.append(
            {
                "label": f"intent F1 ({kind})",
                "active": f"{before:.3f}",
                "candidate": f"{after:.3f}",
                "change": f"{after - before:+.3f}",
                "worse": after < before,
            }
        )
    return rows


def _pair_row(label: str, before, after, lower_is_better: bool = False) -> dict:
    b, a = _share(before), _share(after)
    change = (a or 0.0) - (b or 0.0)
    return {
        "label": label,
        "active": "-" if b is None else f"{b:.1%} ({before[0]}/{before[1]})",
        "candidate": "-" if a is None else f"{a:.1%} ({after[0]}/{after[1]})",
        "change": f"{change * 100:+.1f} pt",
        "worse": change > 0 if lower_is_better else change < 0,
    }


# ------------------------------------------------------------------ from conversation to test


async def export_conversation_story(request: web.Request) -> web.Response:
    require_maintainer(request)
    conversation_id = request.match_info["conversation_id"]
    places = _places(request)
    try:
        story = await asyncio.to_thread(export_story, _source(request), conversation_id, places.stories_dir)
    except LookupError:
        await flash(request, "story_not_found", error=True)
    else:
        _audit(request, "story_exported", conversation_id, story.path.name)
        shown = story.path.relative_to(ROOT) if story.path.is_relative_to(ROOT) else story.path
        await flash(request, "story_exported", path=str(shown), steps=str(story.steps), masked=str(story.masked_steps))
    raise web.HTTPSeeOther(f"/conversations/{conversation_id}")


async def stop_jobs(app: web.Application) -> None:
    await app[MAINTAINER_JOBS].stop()
