"""Where one message's parse and one policy prediction spend their time, node by node.

    .venv/bin/python -m benchmarks.node_times [--model models/X.tar.gz] [--repeat 5]

Loads the model in-process (the Rasa server's patches applied), parses the benchmark's citizen
messages `--repeat` times and times each graph node's call (wall clock), then times 300 policy
predictions. No server, no database: the figures are the NLU pipeline's and the policies' own.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import time
from pathlib import Path

import rasa.engine.graph
import structlog
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActionExecuted, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from benchmarks.processes import newest_model
from benchmarks.vs_vanilla import ASSISTANT_CONVERSATIONS
from bot import patches


def timed_nodes() -> collections.Counter:
    """Seconds spent in each graph node from now on (GraphNode.__call__ wrapped)."""
    spent: collections.Counter = collections.Counter()
    call = rasa.engine.graph.GraphNode.__call__

    def timed(node, *inputs):  # noqa: ANN001, ANN202 - Rasa's own signature
        started = time.perf_counter()
        try:
            return call(node, *inputs)
        finally:
            spent[node._node_name] += time.perf_counter() - started

    rasa.engine.graph.GraphNode.__call__ = timed  # type: ignore[method-assign]
    return spent


def print_table(title: str, spent: collections.Counter, count: int) -> None:
    print(title)
    for node, seconds in spent.most_common():
        print(f"{1000 * seconds / count:7.2f} ms  {node}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    patches.apply()
    processor = Agent.load(model_path=str(args.model or newest_model())).processor
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))  # no per-parse debug lines
    texts = [text for conversation in ASSISTANT_CONVERSATIONS for text in conversation if not text.startswith("/")]
    tracker = DialogueStateTracker.from_events(
        "node-times", [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    )
    loop = asyncio.new_event_loop()
    for text in texts:  # warm-up: TensorFlow traces its function on the first call
        loop.run_until_complete(processor.parse_message(UserMessage(text), tracker))
    spent = timed_nodes()
    started = time.perf_counter()
    for _ in range(args.repeat):
        for text in texts:
            loop.run_until_complete(processor.parse_message(UserMessage(text), tracker))
    parses = args.repeat * len(texts)
    print_table(f"{parses} parses, {1000 * (time.perf_counter() - started) / parses:.2f} ms each:", spent, parses)
    spent.clear()
    started = time.perf_counter()
    for _ in range(300):
        processor._predict_next_with_tracker(tracker)
    print_table(f"300 predictions, {1000 * (time.perf_counter() - started) / 300:.2f} ms each:", spent, 300)


if __name__ == "__main__":
    main()
