"""Bootstrap on per-item rows: every item is scored once, resamples are count-weighted sums of its rows.

A resample with replacement of ``n`` items is a vector of counts (how often each item was drawn);
``iters`` resamples are an ``iters x n`` count matrix, drawn once from a seed. Any metric whose value
is a function of column sums of per-item rows (a mean, F1 from counts, sacreBLEU's statistics,
LawBench's task scores) is then bootstrapped by one matrix product ``counts @ rows`` and a vectorised
finish, instead of scoring the texts again for every resample.

An :class:`ItemAggregation` is what a task's YAML names as an lm-eval ``aggregation``: called on the
per-item values it gives the reported score (exactly as before), and its ``replicates`` gives the
score of each resample; :func:`bootstrap_stderr_of` uses it and falls back to re-running a plain
aggregation per resample for functions that have no ``replicates``.

Example:
    >>> counts = resample_counts(4, iters=3, seed=0)
    >>> counts.shape, counts.sum(axis=1).tolist()
    ((3, 4), [4, 4, 4])
    >>> MEAN([1.0, 0.0, 1.0, 1.0]), MEAN.replicates([1.0, 0.0, 1.0, 1.0], counts).shape
    (0.75, (3,))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def resample_counts(n: int, iters: int, seed: int) -> np.ndarray:
    """``iters`` x ``n`` counts of how often each item is drawn in a resample with replacement.

    The same ``(n, iters, seed)`` always gives the same matrix, so metrics bootstrapped with one seed
    are resampled jointly (and paired comparisons use the same draws on both sides).
    """
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(iters, n))
    flat = (draws + np.arange(iters)[:, None] * n).ravel()
    return np.bincount(flat, minlength=iters * n).reshape(iters, n)


def resampled_sums(rows: Any, counts: np.ndarray) -> np.ndarray:
    """Column sums of ``rows`` (``n`` rows of numbers, or ``n`` numbers) in each resample: ``counts @ rows``."""
    return counts @ np.asarray(rows)


class ItemAggregation:
    """An lm-eval aggregation over per-item values that can also score resamples without re-scoring.

    ``point(items)`` is the reported score (called by lm-eval); ``replicates(items, counts)`` returns
    one score per row of ``counts`` (see :func:`resample_counts`), computed from the items' rows.
    """

    def __init__(self, name: str, point: Callable[[Sequence], float],
                 replicates: Callable[[Sequence, np.ndarray], np.ndarray]):
        self.__name__ = name  # lm-eval and its logs name aggregations by __name__
        self._point, self._replicates = point, replicates

    def __call__(self, items: Sequence) -> float:
        return self._point(items)

    def replicates(self, items: Sequence, counts: np.ndarray) -> np.ndarray:
        return np.asarray(self._replicates(items, counts), dtype=float)

    def __repr__(self) -> str:
        return f"ItemAggregation({self.__name__})"


def _mean(items: Sequence[float]) -> float:
    return float(np.mean(items))


MEAN = ItemAggregation("mean", _mean, lambda items, counts: resampled_sums(items, counts) / len(items))


def stderr_from_replicates(replicates: np.ndarray) -> float:
    """Sample standard deviation of the resampled scores (NaN when a resample had no defined score)."""
    return float(np.std(replicates, ddof=1))


def replicates_of(aggregate: Callable[[Sequence], float], items: Sequence, counts: np.ndarray) -> np.ndarray:
    """``aggregate``'s score of each resample in ``counts``: from per-item rows when it is an
    :class:`ItemAggregation`, else by calling it on a list of each resample's items (any other function)."""
    if isinstance(aggregate, ItemAggregation):
        return aggregate.replicates(items, counts)
    values = list(items)
    positions = np.arange(len(values))
    return np.array([aggregate([values[i] for i in np.repeat(positions, row)]) for row in counts], dtype=float)


def bootstrap_stderr_of(aggregate: Callable[[Sequence], float], items: Sequence, *, iters: int, seed: int) -> float:
    """Bootstrap stderr of ``aggregate(items)`` over ``iters`` resamples (see :func:`replicates_of`).

    >>> bootstrap_stderr_of(MEAN, [0.0, 1.0] * 50, iters=200, seed=0) == bootstrap_stderr_of(
    ...     lambda xs: float(np.mean(xs)), [0.0, 1.0] * 50, iters=200, seed=0)
    True
    """
    return stderr_from_replicates(replicates_of(aggregate, items, resample_counts(len(items), iters, seed)))


def row_aggregation(metric: str, value: Any) -> ItemAggregation | None:
    """The aggregation that scores per-item values shaped like ``value`` under ``metric``, where the
    value is a row rather than a number: a LawBench record ``{"task", "row"}`` or a sacreBLEU
    statistics row of ``bleu`` / ``ter`` / ``chrf``. ``None`` for anything else (numbers are means).

    >>> row_aggregation("score", {"task": "3-4", "row": [0.0, 1, 0, 1, 0.0, 1, 0, 1]})
    ItemAggregation(lawbench_oc_score)
    >>> row_aggregation("acc", 1.0) is None
    True
    """
    from lawbench.metrics.lawbench_oc.items import METRICS as LAWBENCH_METRICS
    from lawbench.metrics.text.corpus import CORPUS_METRICS

    if isinstance(value, dict) and set(value) == {"task", "row"} and metric in LAWBENCH_METRICS:
        from lawbench.metrics.lawbench_oc.scoring import task_aggregation

        return task_aggregation(metric)
    if metric in CORPUS_METRICS and isinstance(value, list) and value and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
        from lawbench.metrics.text.bootstrap import corpus_aggregation

        return corpus_aggregation(metric)
    return None
