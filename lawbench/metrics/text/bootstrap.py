"""Bootstrap standard errors and confidence intervals by resampling items (seedable).

One helper serves both kinds of metric: a pairwise metric is the mean of per-item scores
(``aggregate=MEAN`` over floats), a corpus metric is a score of summed statistics
(``aggregate=corpus_aggregation("bleu")`` over per-item stats rows). Resamples are drawn once as a
count matrix (:func:`lawbench.metrics.resample.resample_counts`): with the same seed and item count
every call draws the same resamples, so several metrics bootstrapped with one seed are resampled
jointly, and an :class:`~lawbench.metrics.resample.ItemAggregation` scores them all from summed rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from lawbench.metrics.resample import ItemAggregation, replicates_of, resample_counts, resampled_sums
from lawbench.metrics.text.corpus import CORPUS_METRICS, corpus_score

DEFAULT_ITERS = 1000  # resamples; lm-eval's default bootstrap_iters is 100000 but for means only
DEFAULT_SEED = 1234  # lm-eval's default random seed, so reruns reproduce the same intervals


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap estimate: ``stderr`` (sample std of the resampled scores) and a percentile CI."""

    stderr: float
    low: float
    high: float
    confidence: float
    iters: int
    seed: int

    def as_dict(self) -> dict[str, float]:
        return {"stderr": self.stderr, "ci_low": self.low, "ci_high": self.high}


def bootstrap_ci(aggregate: Callable[[Any], float], items: Sequence, *, iters: int = DEFAULT_ITERS,
                 seed: int = DEFAULT_SEED, confidence: float = 0.95) -> BootstrapResult:
    """Resample ``items`` with replacement ``iters`` times and summarise ``aggregate`` over them.

    ``items`` are numbers (per-item scores) or equal-length rows of numbers (per-item statistics).
    An :class:`~lawbench.metrics.resample.ItemAggregation` scores every resample from summed rows;
    any other ``aggregate`` receives a list of each resample's items.

    >>> from lawbench.metrics.resample import MEAN
    >>> r = bootstrap_ci(MEAN, [0.0, 1.0] * 50, iters=200, seed=0)
    >>> 0.03 < r.stderr < 0.07, r.low < 0.5 < r.high
    (True, True)
    """
    if len(items) == 0:
        raise ValueError("bootstrap needs at least one item")
    if iters < 2 or not 0 < confidence < 1:
        raise ValueError(f"bootstrap needs iters >= 2 and 0 < confidence < 1, got {iters}, {confidence}")
    scores = replicates_of(aggregate, items, resample_counts(len(items), iters, seed))
    low, high = np.quantile(scores, [(1 - confidence) / 2, (1 + confidence) / 2])
    return BootstrapResult(float(scores.std(ddof=1)), float(low), float(high), confidence, iters, seed)


def corpus_replicates(metric: str, rows: Sequence[Sequence[float]], counts: np.ndarray) -> np.ndarray:
    """sacreBLEU's corpus ``metric`` of each resample: its rows summed once (``counts @ rows``), then scored."""
    return np.array([corpus_score(metric, [summed]) for summed in resampled_sums(rows, counts)], dtype=float)


def corpus_aggregation(metric: str) -> ItemAggregation:
    """lm-eval aggregation of per-item sacreBLEU rows into the corpus ``metric`` (bootstraps from the rows).

    >>> from lawbench.metrics.text.corpus import item_stats
    >>> rows = [item_stats("被告人犯盗窃罪", "被告人犯盗窃罪。")["bleu"]] * 2
    >>> agg = corpus_aggregation("bleu")
    >>> round(agg(rows), 2), agg.replicates(rows, resample_counts(2, 3, 0)).round(2).tolist()
    (86.69, [86.69, 86.69, 86.69])
    """
    if metric not in CORPUS_METRICS:
        raise ValueError(f"unknown corpus metric {metric!r}; expected one of {', '.join(CORPUS_METRICS)}")
    return ItemAggregation(f"corpus_{metric}", partial(corpus_score, metric), partial(corpus_replicates, metric))


def bootstrap_stderr(aggregate: Callable[[Any], float], items: Sequence, *, iters: int = DEFAULT_ITERS,
                     seed: int = DEFAULT_SEED) -> float:
    """Bootstrap standard error of ``aggregate(items)`` (see :func:`bootstrap_ci`).

    >>> round(bootstrap_stderr(np.mean, [0.0, 1.0] * 50, iters=200, seed=0), 2)
    0.05
    """
    return bootstrap_ci(aggregate, items, iters=iters, seed=seed).stderr
