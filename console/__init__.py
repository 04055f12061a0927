"""Support staff console: review every conversation (masked), and take over from the assistant.

- `console.index`: the conversation index (its own tables, Alembic migrations, query functions),
  fed from Rasa's event broker by `console.feed`;
- `console.app`: the aiohttp application (review, handoff queue, overview, accounts, audit).

Nothing here imports Rasa: the console runs in any environment with its own dependencies.
"""
