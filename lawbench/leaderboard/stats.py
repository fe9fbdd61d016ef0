"""Seeded bootstrap statistics for the leaderboard (pure functions, no I/O).

Every interval here is a 95% percentile bootstrap interval. Each resampling draws from its own
``numpy.random.Generator`` seeded from a stable hash of what it compares (stage ids, task, metric),
so the numbers do not depend on the order in which comparisons are computed and the same runs always
give the same site.

Groups are aggregated the way lm-eval 0.4.13 aggregates them: over their leaf tasks, either weighted
by the number of items (``weight_by_size``, the default) or as a plain mean of the leaf means.
Resampling is stratified by leaf task, so a group's replicate is the same weighted combination of
its leaves' replicates.

Example:
    >>> import numpy as np
    >>> reps = bootstrap_means(np.array([1.0, 0.0, 1.0, 1.0]), iters=200, seed=stable_seed("demo"))
    >>> reps.shape, ci95(reps)[0] <= 0.75 <= ci95(reps)[1]
    ((200,), True)
    >>> change_summary(np.array([0.1, 0.2, 0.3, 0.4]), point=0.25)
    {'diff': 0.25, 'lo': 0.1075, 'hi': 0.3925, 'significant': True}
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np

from lawbench.metrics.resample import resample_counts  # the one resampling scheme (eval stderrs too)

CI_LEVEL = 0.95
DIGITS = 6  # floats in the site are rounded so that builds on other machines stay byte-identical


def stable_seed(*parts: object) -> int:
    """A 64-bit seed from the parts' text (``hash()`` is salted per process, this is not).

    >>> stable_seed("base", "sft") == stable_seed("base", "sft") != stable_seed("sft", "base")
    True
    """
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def bootstrap_means(values: np.ndarray, iters: int, seed: int) -> np.ndarray:
    """Bootstrap replicates of the mean of ``values`` (shape ``(n,)`` -> ``(iters,)``, or
    ``(n, k)`` -> ``(iters, k)``: the same resamples for every column, as a paired test needs)."""
    n = len(values)
    if n == 0:
        return np.full((iters, *values.shape[1:]), np.nan)
    return resample_counts(n, iters, seed) @ values / n


def combine(replicates: Sequence[np.ndarray], sizes: Sequence[int], weight_by_size: bool) -> np.ndarray:
    """A group's replicates from its leaves' (lm-eval's size-weighted or plain mean of leaf means)."""
    weights = np.asarray(sizes, dtype=float) if weight_by_size else np.ones(len(replicates))
    return np.tensordot(weights, np.stack(replicates), axes=1) / weights.sum()


def combine_points(points: Sequence[float], sizes: Sequence[int], weight_by_size: bool) -> float:
    weights = np.asarray(sizes, dtype=float) if weight_by_size else np.ones(len(points))
    return float(weights @ np.asarray(points, dtype=float) / weights.sum())


def ci95(replicates: np.ndarray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the replicates."""
    tail = (1 - CI_LEVEL) / 2 * 100
    lo, hi = np.percentile(replicates, [tail, 100 - tail])
    return rnd(lo), rnd(hi)


def change_summary(replicates: np.ndarray, point: float | None = None) -> dict:
    """Point estimate, 95% interval and whether the interval excludes zero.

    ``point`` defaults to the replicates' mean only for tests; callers pass the observed difference.
    """
    diff = float(np.mean(replicates)) if point is None else float(point)
    lo, hi = ci95(replicates)
    return {"diff": rnd(diff), "lo": lo, "hi": hi, "significant": bool(lo > 0 or hi < 0)}


def wilson95(successes: int, total: int) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (``None`` without observations).

    >>> wilson95(0, 10)
    (0.0, 0.277533)
    """
    if total <= 0:
        return None
    z = 1.959963984540054
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return rnd(max(0.0, centre - half)), rnd(min(1.0, centre + half))


def rnd(value: float | None) -> float | None:
    """Round for output; ``None`` / NaN become ``None`` (JSON ``null``)."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    rounded = round(value, DIGITS)
    return 0.0 if rounded == 0 else rounded  # no "-0.0" in the output
