"""Text metrics for open legal Q&A: ROUGE-1/2/L, BLEU-1..4, sacreBLEU, METEOR, TER, chrF.

Pure functions (no I/O). Each prediction and reference is segmented once with jieba
(:func:`segment`) and that segmentation is shared by ROUGE, BLEU-n and METEOR; sacreBLEU's metrics
work on the raw strings with their own tokenisers.

====================  ==========================================================  ============
key                   definition                                                  scale
====================  ==========================================================  ============
rouge1/rouge2/rougeL  rouge-chinese F on space-joined jieba words; mean of pairs  0-1
bleu1..bleu4          nltk cumulative sentence BLEU-n on jieba words, smoothing    0-1
                      method3; mean of pairs
meteor                nltk METEOR on jieba words, exact + stem matches only        0-1
                      (no WordNet: ``meteor_synonyms`` is False); mean of pairs
bleu                  sacreBLEU corpus BLEU, ``tokenize="zh"``                     0-100
ter                   character TER, sacreBLEU ``TER(normalized=True,              0-100+
                      asian_support=True)`` (:mod:`.ter`; lower=better)
chrf                  sacreBLEU corpus chrF (char 6-grams, beta 2)                 0-100
====================  ==========================================================  ============

An empty or whitespace-only prediction (or reference) scores 0 on the pairwise metrics; the corpus
metrics count it as sacreBLEU does (no matches, full length penalty).

Public API:

* :func:`text_metrics` — the suite's numbers for lists of predictions and references.
* :func:`pair_scores` — per-pair pairwise metrics (for per-item logging).
* :func:`score_items` / :func:`aggregate` — per-item results once, numbers from them.
* :func:`item_stats` / :func:`corpus_score` — sacreBLEU rows per item and a corpus score from rows
  (an lm-eval aggregation: ``partial(corpus_score, "bleu")``).
* :func:`bootstrap_stderr` / :func:`bootstrap_ci` / :func:`text_metrics_ci` — bootstrap over items;
  :func:`corpus_aggregation` — a corpus metric as an lm-eval aggregation that bootstraps from its rows.
* :func:`segment` / :class:`Segmented` — the shared jieba segmentation.

Example:
    >>> m = text_metrics(["依照刑法第二百六十四条，构成盗窃罪。"], ["根据刑法第二百六十四条，构成盗窃罪。"])
    >>> sorted(k for k in m if k in METRICS) == sorted(METRICS), m["n"]
    (True, 1)
"""

from lawbench.metrics.text.bootstrap import BootstrapResult, bootstrap_ci, bootstrap_stderr, corpus_aggregation
from lawbench.metrics.text.corpus import CORPUS_METRICS, corpus_score, item_stats
from lawbench.metrics.text.pairwise import BLEU_WEIGHTS, PAIR_METRICS, NoWordNet, score_pair
from lawbench.metrics.text.segment import Segmented, segment
from lawbench.metrics.text.suite import (
    METRICS,
    ItemScores,
    aggregate,
    pair_scores,
    score_items,
    text_metrics,
    text_metrics_ci,
)

__all__ = [
    "BLEU_WEIGHTS",
    "CORPUS_METRICS",
    "METRICS",
    "PAIR_METRICS",
    "BootstrapResult",
    "ItemScores",
    "NoWordNet",
    "Segmented",
    "aggregate",
    "bootstrap_ci",
    "bootstrap_stderr",
    "corpus_aggregation",
    "corpus_score",
    "item_stats",
    "pair_scores",
    "score_items",
    "score_pair",
    "segment",
    "text_metrics",
    "text_metrics_ci",
]
