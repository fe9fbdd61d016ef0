"""Bootstrap standard errors and confidence intervals by resampling items (seedable).

One helper serves both kinds of metric: a pairwise metric is the mean of per-item scores
(``aggregate=np.mean`` over floats), a corpus metric is a score of summed statistics
(``aggregate=partial(corpus_score, "bleu")`` over per-item stats rows). With the same seed and item
count every call draws the same resamples, so several metrics bootstrapped with one seed are
resampled jointly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

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

    ``items`` are numbers (per-item scores) or equal-length rows of numbers (per-item statistics);
    ``aggregate`` receives a numpy array of the resampled items.

    >>> r = bootstrap_ci(np.mean, [0.0, 1.0] * 50, iters=200, seed=0)
    >>> 0.03 < r.stderr < 0.07, r.low < 0.5 < r.high
    (True, True)
    """
    values = np.asarray(items)
    if len(values) == 0:
        raise ValueError("bootstrap needs at least one item")
    if iters < 2 or not 0 < confidence < 1:
        raise ValueError(f"bootstrap needs iters >= 2 and 0 < confidence < 1, got {iters}, {confidence}")
    rng = np.random.default_rng(seed)
    n = len(values)
    scores = np.array([aggregate(values[rng.integers(0, n, size=n)]) for _ in range(iters)], dtype=float)
    low, high = np.quantile(scores, [(1 - confidence) / 2, (1 + confidence) / 2])
    return BootstrapResult(float(scores.std(ddof=1)), float(low), float(high), confidence, iters, seed)


def bootstrap_stderr(aggregate: Callable[[Any], float], items: Sequence, *, iters: int = DEFAULT_ITERS,
                     seed: int = DEFAULT_SEED) -> float:
    """Bootstrap standard error of ``aggregate(items)`` (see :func:`bootstrap_ci`).

    >>> round(bootstrap_stderr(np.mean, [0.0, 1.0] * 50, iters=200, seed=0), 2)
    0.05
    """
    return bootstrap_ci(aggregate, items, iters=iters, seed=seed).stderr
