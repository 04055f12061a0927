"""Reviewing conversations: the filtered list, one conversation, tags, notes and review state."""

from __future__ import annotations

from aiohttp import web

from console.index import queries
from console.index.queries import TAGS, ConversationFilter
from console.pages import engine, render
from knowledge.personal_data import mask_personal_numbers

PER_PAGE = 25


async def conversation_list(request: web.Request) -> web.Response:
    filters = ConversationFilter.from_query(request.query)
    page = int(request.query.get("page", "1")) if request.query.get("page", "1").isdigit() else 1
    with engine(request).connect() as connection:
        rows, total = queries.list_conversations(connection, filters, page, PER_PAGE)
        counts = queries.facet_counts(connection, filters)
        choices = queries.filter_choices(connection)
        row_tags = {row["id"]: [t["tag"] for t in queries.conversation_tags(connection, row["id"])] for row in rows}
    return await render(
        request,
        "conversations.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PER_PAGE)),
            "filters": filters,
            "counts": counts,
            "choices": choices,
            "tags": TAGS,
            "row_tags": row_tags,
            "states": queries.REVIEW_STATES,
        },
    )


def _conversation_or_404(connection, conversation_id: str) -> dict:
    conversation = queries.get_conversation(connection, conversation_id)
    if conversation is None:
        raise web.HTTPNotFound(text="no such conversation")
    return conversation


async def conversation_page(request: web.Request) -> web.Response:
    conversation_id = request.match_info["conversation_id"]
    with engine(request).connect() as connection:
        conversation = _conversation_or_404(connection, conversation_id)
        context = {
            "conversation": conversation,
            "messages": queries.conversation_messages(connection, conversation_id),
            "tags": queries.conversation_tags(connection, conversation_id),
            "notes": queries.conversation_notes(connection, conversation_id),
            "handoff": queries.current_handoff(connection, conversation_id),
            "all_tags": TAGS,
        }
    return await render(request, "conversation.html", context)


async def conversation_messages_json(request: web.Request) -> web.Response:
    """New transcript lines after `after` (the live conversation page polls this on each SSE event)."""
    conversation_id = request.match_info["conversation_id"]
    after = int(request.query.get("after", "0")) if request.query.get("after", "0").isdigit() else 0
    with engine(request).connect() as connection:
        _conversation_or_404(connection, conversation_id)
        rows = queries.conversation_messages(connection, conversation_id, after)
        handoff = queries.current_handoff(connection, conversation_id)
    keep = ("id", "kind", "text", "intent", "confidence", "procedure", "language", "author", "data", "timestamp")
    return web.json_response(
        {
            "messages": [{key: row[key] for key in keep} for row in rows],
            "handoff": {"id": handoff["id"], "status": handoff["status"], "taken_by": handoff["taken_by"]} if handoff else None,
        },
        headers={"Cache-Control": "no-store"},
    )


async def annotate(request: web.Request) -> web.Response:
    """Tags, notes and review state: one form endpoint, each change audited with who and when."""
    conversation_id = request.match_info["conversation_id"]
    form = await request.post()
    user = request["account"]["username"]
    what = form.get("what")
    with engine(request).begin() as connection:
        _conversation_or_404(connection, conversation_id)
        if what == "add_tag" and form.get("tag") in TAGS:
            if queries.add_tag(connection, conversation_id, form["tag"], user):
                queries.record_audit(connection, user, "tag_added", conversation_id, form["tag"])
        elif what == "remove_tag":
            queries.remove_tag(connection, conversation_id, str(form.get("tag")))
            queries.record_audit(connection, user, "tag_removed", conversation_id, str(form.get("tag")))
        elif what == "note" and str(form.get("text", "")).strip():
            text = str(form["text"]).strip()[:4000]
            # Notes follow the same rule as everything else: no personal number in clear.
            queries.add_note(connection, conversation_id, mask_personal_numbers(text), user)
            queries.record_audit(connection, user, "note_added", conversation_id)
        elif what == "review" and form.get("state") in queries.REVIEW_STATES:
            queries.set_review_state(connection, conversation_id, form["state"], user)
            queries.record_audit(connection, user, "review_state", conversation_id, form["state"])
        else:
            raise web.HTTPBadRequest(text="unknown change")
    raise web.HTTPSeeOther(f"/conversations/{conversation_id}")
