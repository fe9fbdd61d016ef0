"""Corpus-level sacreBLEU metrics from per-item sufficient statistics.

* ``bleu``: ``BLEU(tokenize="zh")`` (Chinese characters split, other text 13a-tokenised), 0-100.
* ``ter``: character TER, sacreBLEU's ``TER(normalized=True, asian_support=True)`` (Chinese
  split into characters, punctuation into tokens), 0-100+ (lower is better). Computed by
  :mod:`lawbench.metrics.text.ter`, a compiled implementation of sacreBLEU's algorithm that gives
  the same statistics (sacreBLEU's own shift search takes seconds per LawBench 3-8 pair).
* ``chrf``: ``CHRF()`` defaults (character 6-grams, beta 2, no word n-grams), 0-100.

sacreBLEU computes a corpus score by summing per-segment statistics and scoring the sum; we keep
those per-item rows (its ``_extract_corpus_statistics`` / ``_compute_score_from_stats``, the pair its
own bootstrap uses; TER's rows come from :mod:`~lawbench.metrics.text.ter`), so a corpus score, a
score over any resample of items (bootstrap), or an lm-eval aggregation over per-item rows all come
out of one extraction. The tests pin the equality with
``sacrebleu.corpus_bleu`` / ``corpus_ter`` / ``corpus_chrf`` called directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

CORPUS_METRICS: tuple[str, ...] = ("bleu", "ter", "chrf")


@cache
def _metric(name: str):
    # sacrebleu is imported on first use (keeps `import lawbench.metrics.text` light).
    from sacrebleu.metrics import BLEU, CHRF

    factories = {"bleu": lambda: BLEU(tokenize="zh"), "chrf": CHRF}  # ter: lawbench.metrics.text.ter
    if name not in factories:
        raise ValueError(f"unknown corpus metric {name!r}; expected one of {', '.join(CORPUS_METRICS)}")
    return factories[name]()


def item_stats(prediction: str, reference: str) -> dict[str, list[float]]:
    """sacreBLEU's sufficient statistics of one pair for each corpus metric (rows that add up).

    >>> item_stats("被告人犯盗窃罪", "被告人犯盗窃罪。")["ter"]  # one edit over 8 characters
    [1, 8.0]
    """
    from lawbench.metrics.text import ter

    return {name: ter.sentence_stats(prediction, [reference]) if name == "ter"
            else _metric(name)._extract_corpus_statistics([prediction], [[reference]])[0]
            for name in CORPUS_METRICS}


def corpus_score(metric: str, stats: Sequence[Sequence[float]]) -> float:
    """Score ``metric`` ("bleu", "ter" or "chrf") over the items whose stats rows are given.

    Equal to sacreBLEU's corpus score of those items (the rows are integer-valued, so summing
    them is exact in any order). Usable as an lm-eval aggregation: ``partial(corpus_score, "bleu")``.

    >>> rows = [item_stats("被告人犯盗窃罪", "被告人犯盗窃罪。")["bleu"]]
    >>> round(corpus_score("bleu", rows), 2)
    86.69
    """
    array = np.asarray(stats)
    if array.ndim != 2 or len(array) == 0:
        raise ValueError(f"{metric}: expected a non-empty list of statistics rows, got shape {array.shape}")
    # .tolist() hands sacreBLEU plain Python numbers, as its own summation does.
    totals = array.sum(axis=0).tolist()
    if metric == "ter":
        from lawbench.metrics.text import ter

        return ter.corpus_ter([totals])
    return float(_metric(metric)._compute_score_from_stats(totals).score)
