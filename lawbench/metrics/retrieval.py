"""Retrieval quality: the share of a case's gold provision ids found among the retrieved ones.

``retrieval_recall`` is what ``lawbench eval --rag`` adds to every LawShift subtask (mean over cases;
the groups pool the cases). A case without gold ids has no recall (``None``), not a perfect one.

Example:
    >>> retrieval_recall(["354-0-0"], ["264-0-0", "354-0-0"])
    1.0
    >>> retrieval_recall(["133-0-0", "133-0-1"], ["133-0-0"]), retrieval_recall([], ["1-0-0"])
    (0.5, None)
    >>> recall_at_k(["354-0-0"], ["264-0-0", "354-0-0"], 1)
    0.0
"""

from __future__ import annotations

from collections.abc import Sequence


def retrieval_recall(gold: Sequence[str], retrieved: Sequence[str]) -> float | None:
    """|gold ∩ retrieved| / |gold| over distinct ids; ``None`` without gold ids."""
    wanted = set(gold)
    if not wanted:
        return None
    return len(wanted & set(retrieved)) / len(wanted)


def recall_at_k(gold: Sequence[str], ranked: Sequence[str], k: int) -> float | None:
    """:func:`retrieval_recall` of the first ``k`` ids of a ranking."""
    return retrieval_recall(gold, list(ranked)[:k])
