"""Per-pair metrics on jieba words: ROUGE-1/2/L (rouge-chinese), BLEU-1..4 and METEOR (nltk).

* ``rouge1``, ``rouge2``, ``rougeL``: rouge-chinese's F-measure on the space-joined jieba pieces,
  called as LawBench's scorer calls it (its 3-8 score is our ``rougeL``).
* ``bleu1`` .. ``bleu4``: nltk ``sentence_bleu`` on jieba words, *cumulative* BLEU-n (uniform weights
  over orders 1..n, times the brevity penalty), as nltk, coco-caption and the ChatGLM / LLaMA-Factory
  ``bleu-4`` define it. Smoothing: nltk ``SmoothingFunction().method3`` (NIST geometric), the one
  the ChatGLM -> LLaMA-Factory -> ms-swift evaluation scripts that Chinese legal fine-tunes report
  with use; without smoothing one missing 4-gram sends a whole sentence's BLEU-4 to ~0.
  ``bleu1`` is unaffected (nltk returns 0 without any unigram match before smoothing applies).
* ``meteor``: nltk ``meteor_score`` with its defaults (alpha 0.9, beta 3, gamma 0.5, lower-casing,
  Porter stems) but *no WordNet synonyms*: there is no WordNet offline (and none for Chinese), so a
  stand-in whose synset lookup is empty is passed; matches are exact forms and stems only.

An empty or whitespace-only prediction or reference scores 0.0 on every pairwise metric (rouge-chinese
would raise, and there is nothing to match).
"""

from __future__ import annotations

from functools import cache

from lawbench.metrics.text.segment import Segmented

PAIR_METRICS: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "bleu1", "bleu2", "bleu3", "bleu4", "meteor")
BLEU_WEIGHTS: tuple[tuple[float, ...], ...] = ((1.0,), (1 / 2,) * 2, (1 / 3,) * 3, (1 / 4,) * 4)
METEOR_SYNONYMS = False  # reported in the results so nobody compares with WordNet-enabled METEOR


class NoWordNet:
    """WordNet stand-in for nltk's METEOR: no synonyms, so only exact and stem matches count."""

    def synsets(self, *args, **kwargs) -> list:
        return []


@cache
def _scorers():
    # Imported on first use: nltk alone takes about a second to import.
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    from nltk.translate.meteor_score import meteor_score
    from rouge_chinese import Rouge

    # ROUGE-L comes from lawbench_oc's rouge_l_pair: rouge-chinese's formula and sentence split with a
    # bit-parallel LCS (identical floats, ~100x faster than rouge-chinese's dictionary-based table).
    return Rouge(metrics=["rouge-1", "rouge-2"]), sentence_bleu, SmoothingFunction().method3, meteor_score


def score_pair(prediction: Segmented, reference: Segmented) -> dict[str, float]:
    """All pairwise metrics for one segmented prediction/reference pair, each in [0, 1].

    >>> from lawbench.metrics.text.segment import segment
    >>> s = score_pair(segment("被告人犯盗窃罪，判处有期徒刑一年。"),
    ...                segment("被告人构成盗窃罪，应判处有期徒刑一年。"))
    >>> {k: round(v, 3) for k, v in s.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'rouge1': 0.824, 'rouge2': 0.533, 'rougeL': 0.824, 'bleu1': 0.772, 'bleu2': 0.624, 'bleu3': 0.486,
     'bleu4': 0.377, 'meteor': 0.756}
    >>> score_pair(segment(""), segment("被告人犯盗窃罪"))["rouge1"]
    0.0
    """
    if prediction.empty or reference.empty:
        return dict.fromkeys(PAIR_METRICS, 0.0)
    rouge, sentence_bleu, smoothing, meteor_score = _scorers()
    from lawbench.metrics.lawbench_oc.rouge import rouge_l_pair

    r = rouge.get_scores(prediction.rouge_input, reference.rouge_input)[0]
    bleu = sentence_bleu([reference.tokens], prediction.tokens, weights=BLEU_WEIGHTS,
                         smoothing_function=smoothing)
    meteor = meteor_score([reference.tokens], prediction.tokens, wordnet=NoWordNet())
    scores = {"rouge1": r["rouge-1"]["f"], "rouge2": r["rouge-2"]["f"],
              "rougeL": rouge_l_pair(prediction.rouge_input, reference.rouge_input)}
    scores.update({f"bleu{n}": float(b) for n, b in enumerate(bleu, start=1)})
    scores["meteor"] = float(meteor)
    return scores
