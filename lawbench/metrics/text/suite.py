"""The legal Q&A metric suite: score every item once, then aggregate (and bootstrap) from the items."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lawbench.metrics.resample import MEAN
from lawbench.metrics.text.bootstrap import (
    DEFAULT_ITERS,
    DEFAULT_SEED,
    BootstrapResult,
    bootstrap_ci,
    corpus_aggregation,
)
from lawbench.metrics.text.corpus import CORPUS_METRICS, corpus_score, item_stats
from lawbench.metrics.text.pairwise import METEOR_SYNONYMS, PAIR_METRICS, score_pair
from lawbench.metrics.text.segment import segment

# Order of the keys in text_metrics() results.
METRICS: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "bleu", "bleu1", "bleu2", "bleu3", "bleu4",
                            "meteor", "ter", "chrf")


@dataclass(frozen=True)
class ItemScores:
    """Per-item results: pairwise scores and sacreBLEU statistics rows, index-aligned with the input."""

    pairs: list[dict[str, float]]
    stats: dict[str, list[list[float]]]

    def __len__(self) -> int:
        return len(self.pairs)


def _check_pairs(predictions: Sequence[str], references: Sequence[str]) -> None:
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    for kind, texts in (("prediction", predictions), ("reference", references)):
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"{kind} {i} must be a string, got {type(text).__name__}")


def _progress(items, total: int, enabled: bool | None):
    if enabled is False:
        return items
    from tqdm.auto import tqdm

    # disable=None: a bar on a terminal, silence in logs and pipes.
    return tqdm(items, total=total, desc="text metrics", unit="pair", disable=None if enabled is None else False)


def pair_scores(predictions: Sequence[str], references: Sequence[str], *,
                progress: bool | None = False) -> list[dict[str, float]]:
    """Pairwise metrics (ROUGE-1/2/L, BLEU-1..4, METEOR) for each pair; each text segmented once.

    >>> pair_scores(["被告人犯盗窃罪"], ["被告人犯盗窃罪"])[0]["bleu1"]
    1.0
    """
    _check_pairs(predictions, references)
    pairs = _progress(zip(predictions, references), len(predictions), progress)
    return [score_pair(segment(p), segment(r)) for p, r in pairs]


def score_items(predictions: Sequence[str], references: Sequence[str], *,
                progress: bool | None = False) -> ItemScores:
    """Score every pair once: pairwise metrics on one shared segmentation, plus sacreBLEU rows."""
    _check_pairs(predictions, references)
    pairs, stats = [], {name: [] for name in CORPUS_METRICS}
    for p, r in _progress(zip(predictions, references), len(predictions), progress):
        pairs.append(score_pair(segment(p), segment(r)))
        for name, row in item_stats(p, r).items():
            stats[name].append(row)
    return ItemScores(pairs, stats)


def aggregate(items: ItemScores) -> dict:
    """The suite's numbers from per-item results: pairwise means and sacreBLEU corpus scores."""
    if len(items) == 0:
        raise ValueError("no prediction/reference pairs to score")
    result: dict = {}
    for name in METRICS:
        if name in PAIR_METRICS:
            result[name] = math.fsum(pair[name] for pair in items.pairs) / len(items)
        else:
            result[name] = corpus_score(name, items.stats[name])
    result["n"] = len(items)
    result["meteor_synonyms"] = METEOR_SYNONYMS
    return result


def text_metrics(predictions: Sequence[str], references: Sequence[str], *,
                 progress: bool | None = False) -> dict:
    """ROUGE-1/2/L, BLEU-1..4, sacreBLEU, METEOR, TER and chrF of predictions against references.

    Pairwise metrics (``rouge*``, ``bleu1``-``bleu4``, ``meteor``; 0-1) are means over pairs, an empty
    prediction scoring 0; ``bleu``, ``ter``, ``chrf`` are sacreBLEU corpus scores (0-100). ``n`` is
    the number of pairs; ``meteor_synonyms`` is False (no WordNet offline: exact + stem matches).

    >>> m = text_metrics(["被告人犯盗窃罪，判处有期徒刑一年。"], ["被告人犯盗窃罪，判处有期徒刑一年。"])
    >>> m["rougeL"] > 0.99, m["bleu4"], round(m["bleu"], 6), m["ter"], m["n"], m["meteor_synonyms"]
    (True, 1.0, 100.0, 0.0, 1, False)
    """
    return aggregate(score_items(predictions, references, progress=progress))


def _aggregators(items: ItemScores):
    for name in METRICS:
        if name in PAIR_METRICS:
            yield name, MEAN, [pair[name] for pair in items.pairs]
        else:
            yield name, corpus_aggregation(name), items.stats[name]


def text_metrics_ci(items: ItemScores, *, iters: int = DEFAULT_ITERS, seed: int = DEFAULT_SEED,
                    confidence: float = 0.95) -> dict[str, BootstrapResult]:
    """Bootstrap stderr and CI for every metric, items resampled jointly (same seed, same draws).

    >>> items = score_items(["被告人犯盗窃罪", "判处罚金"], ["被告人犯盗窃罪。", "判处有期徒刑"])
    >>> ci = text_metrics_ci(items, iters=50)
    >>> sorted(ci) == sorted(METRICS), ci["bleu"].low <= ci["bleu"].high
    (True, True)
    """
    return {name: bootstrap_ci(fn, values, iters=iters, seed=seed, confidence=confidence)
            for name, fn, values in _aggregators(items)}
