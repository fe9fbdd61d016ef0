"""Order runs as training stages: a depth-first walk of the lineage tree from its roots.

Each run's manifest names its ``stage`` and ``parent`` stage (``lawbench eval --stage --parent``, or
what a recipe / the pipeline records). DPO and KTO may both start from RS-SFT, so lineage is a tree;
columns follow a depth-first walk from the root (``base``), siblings in training-recipe order. "vs
parent" compares with the manifest's parent, "vs base" with the root of the run's tree.

Example:
    >>> order_stages([("dpo", "dpo", "sft"), ("base", "base", None), ("kto", "kto", "sft"), ("sft", "sft", "base")])
    [Stage(id='base', stage='base', parent=None, root='base', depth=0), Stage(id='sft', stage='sft', parent='base', root='base', depth=1), Stage(id='dpo', stage='dpo', parent='sft', root='base', depth=2), Stage(id='kto', stage='kto', parent='sft', root='base', depth=2)]
"""  # noqa: E501

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from lawbench.recipes.registry import stage_rank

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Stage:
    id: str  # run folder name (unique)
    stage: str  # stage name from the manifest
    parent: str | None  # id of the parent run, when it is among the runs
    root: str  # id of the lineage root ("vs base" compares with it)
    depth: int


def _sort_key(stage: str, run_id: str) -> tuple:
    # Sibling order: the registry's recipe order; unknown stage names come after, alphabetically.
    return (stage_rank(stage), stage, run_id)


def resolve_parents(runs: Iterable[tuple[str, str, str | None]]) -> dict[str, str | None]:
    """Map each run id to its parent's run id: a run folder named like the parent, else the one run
    whose stage is the parent. Unknown or ambiguous parents become roots (logged)."""
    runs = list(runs)
    ids = {run_id for run_id, _, _ in runs}
    by_stage: dict[str, list[str]] = {}
    for run_id, stage, _ in runs:
        by_stage.setdefault(stage, []).append(run_id)
    parents: dict[str, str | None] = {}
    for run_id, _, parent in runs:
        if not parent:
            parents[run_id] = None
        elif parent in ids and parent != run_id:
            parents[run_id] = parent
        elif len(by_stage.get(parent, [])) == 1 and by_stage[parent][0] != run_id:
            parents[run_id] = by_stage[parent][0]
        else:
            candidates = by_stage.get(parent, [])
            log.warning("run %s: parent stage %r is %s; shown without a parent", run_id, parent,
                        f"ambiguous ({', '.join(sorted(candidates))})" if candidates else "not among the runs")
            parents[run_id] = None
    # A cycle (a -> b -> a) cannot be walked from a root: cut it where the walk meets it again.
    for run_id in sorted(parents):
        seen, node = {run_id}, parents[run_id]
        while node is not None:
            if node in seen:
                log.warning("run %s: lineage has a cycle; shown without a parent", run_id)
                parents[run_id] = None
                break
            seen.add(node)
            node = parents[node]
    return parents


def order_stages(runs: Iterable[tuple[str, str, str | None]]) -> list[Stage]:
    """``(run id, stage, parent stage)`` triples -> stages in depth-first lineage order."""
    runs = list(runs)
    stage_of = {run_id: stage for run_id, stage, _ in runs}
    parents = resolve_parents(runs)
    children: dict[str | None, list[str]] = {}
    for run_id, parent in parents.items():
        children.setdefault(parent, []).append(run_id)
    ordered: list[Stage] = []

    def walk(run_id: str, root: str, depth: int) -> None:
        ordered.append(Stage(run_id, stage_of[run_id], parents[run_id], root, depth))
        for child in sorted(children.get(run_id, []), key=lambda c: _sort_key(stage_of[c], c)):
            walk(child, root, depth + 1)

    for root in sorted(children.get(None, []), key=lambda r: _sort_key(stage_of[r], r)):
        walk(root, root, 0)
    return ordered
