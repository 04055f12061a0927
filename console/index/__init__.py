"""The conversation index: Rasa's streamed events (masked) plus the console's own records.

Use `console.index.queries` for every read and write; `console.index.ingest` applies events.
"""
