"""Reciprocal-rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009) of several rankings of provision ids.

Each ranking adds ``1 / (K + rank)`` (rank from 1) to every id it holds; ids are ordered by the sum.
Only ranks count, so BM25 scores (unbounded) and cosine similarities (-1..1) need no calibration.
``K = 60`` is the paper's constant: it damps the weight of the very first ranks.

Example:
    >>> [(i, round(s, 4)) for i, s in rrf([["a", "b", "c"], ["b", "d"]])]
    [('b', 0.0325), ('a', 0.0164), ('d', 0.0161), ('c', 0.0159)]
"""

from __future__ import annotations

K = 60


def rrf(rankings: list[list[str]], k: int = K) -> list[tuple[str, float]]:
    """Fused ``(id, score)`` pairs, best first (ties keep first-seen order)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
