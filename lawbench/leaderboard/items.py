"""Per-item arrays of a run's task (what the bootstrap and the transition counts work on).

Items are aligned across runs by ``doc_id``; ``doc_hash`` and ``prompt_hash`` (lm-eval's hashes of
the document and of the rendered prompt) tell whether two runs really saw the same item.

Example:
    >>> table = ItemTable.from_samples({})
    >>> table.n, table.numeric_metrics()
    (0, [])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lawbench.leaderboard.runs import Sample


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return None


@dataclass
class ItemTable:
    """One task's items in one run (one lm-eval filter), sorted by ``doc_id``."""

    doc_ids: list[int]
    doc_hashes: list[str | None]  # document + target: a difference means a different item
    prompt_hashes: list[str | None]
    values: dict[str, np.ndarray]  # only metrics whose every per-item value is a number
    # metrics whose per-item values are rows (LawBench records, sacreBLEU statistics): the rows, in
    # doc_id order, and the aggregation that scores them (lawbench.metrics.resample.row_aggregation)
    rows: dict[str, list] = field(default_factory=dict)
    row_aggregations: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_samples(cls, samples: dict[int, Sample]) -> ItemTable:
        from lawbench.metrics.resample import row_aggregation

        ids = sorted(samples)
        ordered = [samples[i] for i in ids]
        names = sorted({m for s in ordered for m in s.values})
        values, rows, aggregations = {}, {}, {}
        for name in names:
            column = [_number(s.values.get(name)) for s in ordered]
            if column and all(v is not None for v in column):
                values[name] = np.asarray(column, dtype=float)
                continue
            raw = [s.values.get(name) for s in ordered]
            found = [row_aggregation(name, v) for v in raw]
            if raw and all(a is not None for a in found) and len({a.__name__ for a in found}) == 1:
                rows[name], aggregations[name] = raw, found[0]
        doc_hashes = [f"{s.doc_hash}/{s.target_hash}" for s in ordered]
        return cls(ids, doc_hashes, [s.prompt_hash for s in ordered], values, rows, aggregations)

    @property
    def n(self) -> int:
        return len(self.doc_ids)

    def numeric_metrics(self) -> list[str]:
        return sorted(self.values)

    def is_binary(self, metric: str) -> bool:
        column = self.values.get(metric)
        return column is not None and bool(np.isin(column, (0.0, 1.0)).all())

    def matrix(self, metrics: list[str], rows: list[int] | None = None) -> np.ndarray:
        """``(items, metrics)`` values, optionally only the given row positions."""
        stacked = np.column_stack([self.values[m] for m in metrics]) if metrics else np.zeros((self.n, 0))
        return stacked if rows is None else stacked[rows]


@dataclass
class Alignment:
    """Which items two runs share, and whether the guard lets them be compared."""

    status: str  # ok | subset | docs | prompt | disjoint (see compare.GUARD)
    rows_a: list[int]  # row positions of the shared items in each table
    rows_b: list[int]
    doc_ids: list[int]


def align(a: ItemTable, b: ItemTable, check_prompts: bool = True) -> Alignment:
    """Shared items by ``doc_id``; a differing document or prompt hash blocks the comparison
    (``check_prompts=False``: documents only, for a reference model prompted its own way).

    >>> t = ItemTable([0, 1], ["d0", "d1"], ["p0", "p1"], {})
    >>> align(t, ItemTable([1, 2], ["d1", "d2"], ["p1", "p2"], {})).status
    'subset'
    >>> align(t, ItemTable([0, 1], ["d0", "d1"], ["p0", "pX"], {})).status
    'prompt'
    """
    position_b = {doc_id: i for i, doc_id in enumerate(b.doc_ids)}
    rows_a, rows_b, shared = [], [], []
    status = "ok"
    for i, doc_id in enumerate(a.doc_ids):
        j = position_b.get(doc_id)
        if j is None:
            continue
        if a.doc_hashes[i] != b.doc_hashes[j]:
            status = "docs"
        elif check_prompts and a.prompt_hashes[i] != b.prompt_hashes[j] and status == "ok":
            status = "prompt"
        rows_a.append(i)
        rows_b.append(j)
        shared.append(doc_id)
    if not shared:
        status = "disjoint"
    elif status == "ok" and (len(shared) != a.n or len(shared) != b.n):
        status = "subset"
    return Alignment(status, rows_a, rows_b, shared)
