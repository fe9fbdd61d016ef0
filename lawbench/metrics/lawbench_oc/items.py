"""Per-record numbers of a LawBench task, and the task's four numbers from them.

Every LawBench task score is a mean over the records it scores (possibly transformed: the prison-term
tasks report ``(ln 216 - mean distance) / ln 216``), and every abstention rate is a count over a count.
So each record is scored once into an :class:`ItemRow`, and

* :func:`aggregate_rows` gives the task's numbers exactly as LawBench computes them (``sum / len`` in
  record order, the same floats);
* :func:`replicate_rows` gives them for many bootstrap resamples at once from column sums
  (``counts @ rows``, see :mod:`lawbench.metrics.resample`), without reading any output again.

>>> rows = [ItemRow(1, 1, 0, 1, 1, 1, 0, 1), ItemRow(0, 1, 1, 1, 0, 1, 1, 1)]
>>> result = aggregate_rows(rows)
>>> result.score, result.abstention_rate, result.score_strict, result.abstention_rate_strict, result.n_scored
(0.5, 0.5, 0.5, 0.5, 2)
>>> import numpy as np
>>> replicate_rows(rows, np.array([[2, 0], [1, 1]]))["score"].tolist()
[1.0, 0.5]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from lawbench.metrics.lawbench_oc.base import TaskScore, mean, ratio

Finish = Callable  # mean -> reported score; works on floats and numpy arrays alike


class ItemRow(NamedTuple):
    """One record's contribution to its task's numbers (LawBench's, then lawbench's strict ones)."""

    score: float  # the record's value in the score's mean (0 when it is not scored)
    scored: int  # 1 when the record enters the score's mean (LawBench skips some references)
    abstained: int  # 1 when the output counts as an abstention
    counted: int  # 1 when the record is in the abstention rate's denominator
    score_strict: float
    scored_strict: int
    abstained_strict: int
    counted_strict: int


METRICS = ("score", "score_strict", "abstention_rate", "abstention_rate_strict")


def _identity(value):
    return value


def aggregate_rows(rows: Sequence[ItemRow], finish: Finish | None = None) -> TaskScore:
    """The task's numbers from its records' rows, bit for bit as LawBench's loop computes them."""
    finish = finish or _identity
    scores = [row.score for row in rows if row.scored]
    strict = [row.score_strict for row in rows if row.scored_strict]
    return TaskScore(
        finish(mean(scores)),
        ratio(sum(row.abstained for row in rows), sum(row.counted for row in rows)),
        finish(mean(strict)),
        ratio(sum(row.abstained_strict for row in rows), sum(row.counted_strict for row in rows)),
        len(scores),
    )


def replicate_rows(rows: Sequence[Sequence[float]], counts: np.ndarray,
                   finish: Finish | None = None) -> dict[str, np.ndarray]:
    """The four numbers in each resample (one per row of ``counts``); NaN where a resample has no
    scored record, as LawBench's ``mean`` of nothing."""
    finish = finish or _identity
    sums = counts @ np.asarray(rows, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "score": finish(sums[:, 0] / sums[:, 1]),
            "abstention_rate": sums[:, 2] / sums[:, 3],
            "score_strict": finish(sums[:, 4] / sums[:, 5]),
            "abstention_rate_strict": sums[:, 6] / sums[:, 7],
        }
