"""`python -m maintainer COMMAND`: the maintainers' loop from a shell or CI (see README, Maintainers)."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from pathlib import Path
from typing import Optional

from maintainer.layout import Layout, rasa_url, tracker_store_url

EXIT_GATE_REFUSED = 1
EXIT_REFUSED = 2


def _who(value: Optional[str]) -> str:
    return value or os.environ.get("MAINTAINER_NAME") or getpass.getuser()


def _source():
    from maintainer.messages import TrackerStoreMessages

    return TrackerStoreMessages(tracker_store_url())


def _server(by: str, rasa_api: bool = False):
    from maintainer.release import RasaServer

    secret = os.environ.get("JWT_SECRET")
    if not secret:
        sys.exit("JWT_SECRET is not set: run `. scripts/env.sh` first")
    return RasaServer(rasa_url(), secret, username=by, rasa_api=rasa_api)


def _candidate(layout: Layout, given: Optional[str]) -> Path:
    from maintainer.train import newest_model

    path = Path(given) if given else newest_model(layout.candidates)
    if path is None or not path.exists():
        sys.exit(f"no candidate model{f' {given}' if given else ''}: run `python -m maintainer train` first")
    return path


def cmd_inbox(args, layout: Layout) -> int:
    from maintainer.inbox import build_inbox, inbox_markdown

    groups = build_inbox(_source(), layout, limit=args.limit, low_confidence=args.low_confidence, only_problems=args.problems)[: args.top]
    print(json.dumps([g.as_dict() for g in groups], ensure_ascii=False, indent=2) if args.json else inbox_markdown(groups))
    return 0


def _groups(layout: Layout, group_ids: list[str], limit: int) -> list:
    """The inbox groups with these ids; KeyError names the first one not found."""
    if not group_ids:
        return []
    from maintainer.inbox import build_inbox, find_group

    groups = build_inbox(_source(), layout, limit=limit)
    return [find_group(groups, group_id) for group_id in group_ids]


def cmd_annotate(args, layout: Layout) -> int:
    from maintainer.annotate import AnnotationRefused, annotate, ignore

    texts = list(args.texts)
    try:
        groups = _groups(layout, args.group, args.limit)
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return EXIT_REFUSED
    texts += [text for group in groups for text in group.texts]
    if not texts:
        print("give the texts to annotate, or --group ID from the inbox", file=sys.stderr)
        return EXIT_REFUSED
    try:
        if args.ignore:
            for text in ignore(texts, _who(args.by), layout):
                print(f"ignored: {text}")
            return 0
        if args.procedure:
            from maintainer.procedures import set_procedure

            language = args.language or next((g.understood.language for g in groups if g.understood.language), "vi")
            outcome = set_procedure(texts, args.procedure, args.intent, _who(args.by), layout, alias=args.alias, language=language)
            print(
                f"{'added' if outcome.alias_added else 'already there'}: alias {outcome.alias!r} ({outcome.language}) "
                f"of {outcome.procedure} in {outcome.content_file}; data/nlu/generated/ regenerated"
            )
            result = outcome.examples
        else:
            result = annotate(texts, args.intent, _who(args.by), layout)
    except AnnotationRefused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return EXIT_REFUSED
    for text in result.added:
        print(f"added to {result.file.relative_to(layout.root) if result.file.is_relative_to(layout.root) else result.file}: {text}")
    for text in result.already_there:
        print(f"already an example: {text}")
    return 0


def cmd_new_intent(args, layout: Layout) -> int:
    from maintainer.annotate import AnnotationRefused
    from maintainer.intents import create_intent

    examples = {"vi": list(args.vi), "en": list(args.en)}
    try:
        for group in _groups(layout, args.group, args.limit):
            examples["en" if group.understood.language == "en" else "vi"] += group.texts
    except KeyError as error:
        print(error.args[0], file=sys.stderr)
        return EXIT_REFUSED
    response = {"vi": args.response_vi, "en": args.response_en} if args.response_vi or args.response_en else None
    try:
        created = create_intent(args.name, examples, _who(args.by), layout, response=response, procedure=args.procedure)
    except AnnotationRefused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return EXIT_REFUSED
    answer = created.response or f"{created.procedure} (action_discover_procedure)"
    print(
        f"created intent {created.name} -> {answer} with {len(created.examples)} examples: {layout.reviewed_domain}, "
        f"{layout.reviewed / 'rules.yml'}, {layout.reviewed / (created.name + '.yml')}"
    )
    return 0


def cmd_train(args, layout: Layout) -> int:
    from maintainer.train import train_candidate

    result = train_candidate(
        layout, niceness=args.nice, force=args.force, reuse=not args.no_reuse, name=args.name, on_progress=lambda p: print(p, flush=True)
    )
    how = f"reused {result.reused_from.name} (fingerprint-identical)" if result.reused_from else "trained"
    print(f"candidate: {result.model} ({how} in {result.seconds:.0f} s)")
    return 0


def cmd_compare(args, layout: Layout) -> int:
    from maintainer.compare import compare
    from maintainer.release import active_model

    candidate = _candidate(layout, args.candidate)
    server = _server(_who(None)) if os.environ.get("JWT_SECRET") else None
    active = Path(args.active) if args.active else active_model(layout, server)
    if active is None:
        sys.exit("no active model found (models/ is empty); give --active PATH")
    files = compare(
        candidate,
        active,
        layout,
        source=_source(),
        replay_limit=args.replay,
        run_stories=not args.no_stories,
        on_progress=lambda line: print(line, flush=True),
    )
    print(files.markdown_path.read_text(encoding="utf-8") if args.print else "")
    print(f"report: {files.markdown_path}\n        {files.json_path}")
    gate = files.report["gate"]
    print("gate: " + ("passed" if gate["passed"] else "REFUSED\n- " + "\n- ".join(gate["reasons"])))
    return 0 if gate["passed"] else EXIT_GATE_REFUSED


def cmd_gate(args, layout: Layout) -> int:
    from maintainer.compare import report_paths
    from maintainer.gate import apply_override, evaluate_gate

    target = Path(args.report) if args.report else _candidate(layout, None)
    report_file = target if target.suffix == ".json" else report_paths(target)[0]
    if not report_file.exists():
        print(f"no report {report_file}: run `python -m maintainer compare` first", file=sys.stderr)
        return EXIT_REFUSED
    report = json.loads(report_file.read_text(encoding="utf-8"))
    decision = apply_override(evaluate_gate(report), args.override, _who(args.by), report["candidate"]["model"], layout)
    if decision.passed:
        print("gate: passed")
        return 0
    print("gate: REFUSED\n- " + "\n- ".join(decision.reasons))
    if decision.override:
        # Kept in the report too, so that `release` accepts the candidate without repeating it.
        report["gate"] = {**decision.as_dict(), "override_by": _who(args.by)}
        report_file.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"overridden by {_who(args.by)}: {decision.override} (recorded in {layout.audit_log})")
        return 0
    return EXIT_GATE_REFUSED


def cmd_release(args, layout: Layout) -> int:
    from maintainer.release import ReleaseRefused, release

    by = _who(args.by)
    try:
        entry = release(_candidate(layout, args.candidate), layout, _server(by, args.rasa_api), by, override=args.override, keep=args.keep)
    except ReleaseRefused as refused:
        print(f"release refused: {refused}", file=sys.stderr)
        return EXIT_GATE_REFUSED
    print(f"released {entry['model']} (previous: {entry['previous'] or 'none'}); manifest: {layout.manifest}")
    return 0


def cmd_rollback(args, layout: Layout) -> int:
    from maintainer.release import ReleaseRefused, rollback

    by = _who(args.by)
    try:
        model = rollback(layout, _server(by, args.rasa_api), by, to=args.to)
    except ReleaseRefused as refused:
        print(f"rollback refused: {refused}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"rolled back to {model}")
    return 0


def cmd_releases(args, layout: Layout) -> int:
    from maintainer.release import read_manifest

    manifest = read_manifest(layout)
    for entry in manifest["releases"]:
        mark = "*" if entry["model"] == manifest["active"] else " "
        override = f" override: {entry['gate']['override']}" if entry["gate"].get("override") else ""
        print(f"{mark} {entry['model']}  released {entry['released_at']} by {entry['by']}{override}")
    return 0


def cmd_export_story(args, layout: Layout) -> int:
    from maintainer.stories import export_story

    try:
        story = export_story(_source(), args.conversation_id, Path(args.out), name=args.name)
    except LookupError as error:
        print(error.args[0], file=sys.stderr)
        return EXIT_REFUSED
    print(f"wrote {story.path} ({story.steps} steps)")
    if story.masked_steps:
        print(f"note: {story.masked_steps} message(s) hold masked personal data; check the story still passes with `rasa test core`")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m maintainer", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    p = commands.add_parser("inbox", help="citizens' messages worth a look, grouped, most useful first")
    p.add_argument("--limit", type=int, default=2000, help="recent messages to read (default 2000)")
    p.add_argument("--top", type=int, default=100, help="groups to show")
    p.add_argument("--low-confidence", type=float, default=0.7)
    p.add_argument("--problems", action="store_true", help="only fallbacks, low confidence, handoffs, low ratings")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_inbox)

    p = commands.add_parser("annotate", help="write examples into data/nlu/reviewed/<intent>.yml")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--intent", help="the intent the texts are examples of (out_of_scope to decline)")
    target.add_argument("--ignore", action="store_true", help="never show these texts in the inbox again")
    p.add_argument("--group", action="append", default=[], help="an inbox group id (all its texts); repeatable")
    p.add_argument("--by", help="who annotates (default $MAINTAINER_NAME or the user name)")
    p.add_argument(
        "--procedure",
        help="with --intent: the procedure the texts are about; the alias joins its knowledge file and data/nlu/generated/ is regenerated",
    )
    p.add_argument("--alias", help="with --procedure: the words of the texts naming it (default: the whole text, for --intent find_procedure)")
    p.add_argument("--language", choices=["vi", "en"], help="the alias's language (default: the group's, else vi)")
    p.add_argument("--limit", type=int, default=2000, help="recent messages the groups are read from")
    p.add_argument("texts", nargs="*")
    p.set_defaults(run=cmd_annotate)

    p = commands.add_parser("new-intent", help="create an intent: domain/reviewed.yml, a rule, examples")
    p.add_argument("name", help="lowercase_with_underscores, not an existing intent")
    p.add_argument("--vi", action="append", default=[], help="a Vietnamese example; repeatable")
    p.add_argument("--en", action="append", default=[], help="an English example; repeatable")
    p.add_argument("--group", action="append", default=[], help="an inbox group id (its texts, by their language)")
    p.add_argument("--response-vi", help="the answer in Vietnamese (with --response-en)")
    p.add_argument("--response-en", help="the answer in English")
    p.add_argument("--procedure", help="instead of a response: the procedure it belongs to (presented by action_discover_procedure)")
    p.add_argument("--by")
    p.add_argument("--limit", type=int, default=2000, help="recent messages the groups are read from")
    p.set_defaults(run=cmd_new_intent)

    p = commands.add_parser("train", help="train a candidate into models/candidates/ (active model untouched)")
    p.add_argument("--nice", type=int, default=10, help="CPU niceness of the training (default 10)")
    p.add_argument("--force", action="store_true", help="retrain every component, without Rasa's cache")
    p.add_argument("--no-reuse", action="store_true", help="train even when an identical model exists")
    p.add_argument("--name", help="model name (default candidate-<UTC time>)")
    p.set_defaults(run=cmd_train)

    p = commands.add_parser("compare", help="candidate vs active: held-out, conversation tests, replay; exit 1 when the gate refuses")
    p.add_argument("candidate", nargs="?", help="default: the newest in models/candidates/")
    p.add_argument("--active", help="default: the model the running server has loaded")
    p.add_argument("--replay", type=int, default=2000, help="recent citizen messages to replay (default 2000)")
    p.add_argument("--no-stories", action="store_true", help="skip the conversation tests (the gate then refuses)")
    p.add_argument("--print", action="store_true", help="print the Markdown report")
    p.set_defaults(run=cmd_compare)

    p = commands.add_parser("gate", help="the gate's verdict on a compared candidate; --override is audited")
    p.add_argument("report", nargs="?", help="a candidate model or its .compare.json (default: newest candidate)")
    p.add_argument("--override", help="written reason to release anyway (supervisor)")
    p.add_argument("--by")
    p.set_defaults(run=cmd_gate)

    p = commands.add_parser("release", help="hot-swap the candidate into the running Rasa server (PUT /model)")
    p.add_argument("candidate", nargs="?")
    p.add_argument("--override", help="written reason to release a refused candidate (audited)")
    p.add_argument("--by")
    p.add_argument("--keep", type=int, default=5, help="released models to keep (default 5)")
    p.add_argument("--rasa-api", action="store_true", help="use Rasa's PUT /model (pauses the server while loading)")
    p.set_defaults(run=cmd_release)

    p = commands.add_parser("rollback", help="load the previous release again")
    p.add_argument("--to", help="a kept release's model file name (default: the one before the active)")
    p.add_argument("--rasa-api", action="store_true", help="use Rasa's PUT /model (pauses the server while loading)")
    p.add_argument("--by")
    p.set_defaults(run=cmd_rollback)

    p = commands.add_parser("releases", help="list the kept releases (* = active)")
    p.set_defaults(run=cmd_releases)

    p = commands.add_parser("export-story", help="a conversation as a `rasa test` story in tests/stories/")
    p.add_argument("conversation_id")
    p.add_argument("--out", default=str(Layout().root / "tests" / "stories"))
    p.add_argument("--name", help="story name")
    p.set_defaults(run=cmd_export_story)
    return root


def main(argv: Optional[list[str]] = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    return args.run(args, Layout.from_environment())


if __name__ == "__main__":
    sys.exit(main())
