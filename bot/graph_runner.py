"""Runs a trained model's prediction graph without dask's scheduler.

Rasa 3.6 runs the NLU pipeline and the policies of every message as a graph with
`DaskGraphRunner`, which hands the graph to `dask.get`: dask orders the tasks, walks every
argument looking for nested tasks and keeps its own bookkeeping on each call. The graph
is tiny (a dozen nodes) and always the same, so that scheduling was about 11 % of the Rasa
server's CPU under 20 concurrent citizens (py-spy with native frames, benchmarks/REPORT.md).

`SequentialGraphRunner` keeps everything else of `DaskGraphRunner` (the nodes it instantiates,
their inputs and outputs, the input-name clash check, `GraphRunError` for a `RuntimeError`)
and only replaces `run`: the order of the nodes a set of targets needs is worked out once,
then each call runs those nodes one after the other in the calling thread, as dask's
synchronous scheduler did. bot/patches.py makes the Rasa server load models with it; training
keeps dask (`rasa train` is not patched).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

# One step of a plan: the node to run and the names of what it needs, in the schema's order.
Step = Tuple[Text, Tuple[Text, ...]]


class SequentialGraphRunner(DaskGraphRunner):
    """`DaskGraphRunner` whose `run` executes a precomputed order of the needed nodes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Text, ...], List[Step]] = {}

    def plan(self, targets: Tuple[Text, ...]) -> List[Step]:
        """The nodes the targets need, each after the nodes it needs (computed once per targets)."""
        if targets not in self._plans:
            schema = self._graph_schema.minimal_graph_schema(list(targets))
            steps: List[Step] = []
            placed: set = set()

            def place(name: Text) -> None:
                if name in placed or name not in schema.nodes:
                    return  # an input placeholder, or already placed
                placed.add(name)
                needs = tuple(schema.nodes[name].needs.values())
                for need in needs:
                    place(need)
                steps.append((name, needs))

            for target in targets:
                place(target)
            self._plans[targets] = steps
        return self._plans[targets]

    def run(
        self,
        inputs: Optional[Dict[Text, Any]] = None,
        targets: Optional[List[Text]] = None,
    ) -> Dict[Text, Any]:
        """Same contract as `DaskGraphRunner.run`: {target: output} for the targets."""
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        steps = self.plan(run_targets)
        # What dask held for each key: a node's (name, output), an input's (name, value).
        results: Dict[Text, Any] = {}
        node_names = {name for name, _ in steps}
        for input_name, input_value in (inputs or {}).items():
            if isinstance(input_value, str) and input_value in node_names:
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure that none of "
                    f"the input names passed to the `run` method are the same as node names in the "
                    f"graph schema."
                )
            results[input_name] = (input_name, input_value)
        try:
            for name, needs in steps:
                if name in results:
                    continue  # an input given under a node's name replaces the node, as with dask
                # A name nothing provides is passed as the bare name, as dask does (GraphNode then
                # reports the missing input).
                results[name] = self._instantiated_nodes[name](*(results.get(need, need) for need in needs))
            return dict(results[target] for target in run_targets)
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
