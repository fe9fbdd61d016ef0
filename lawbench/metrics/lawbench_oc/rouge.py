"""ROUGE-L tasks: 1-1 (article recitation), 2-7 (opinion summary), 3-2 (scene article), 3-8 (consultation).

As LawBench computes it: both texts are segmented with jieba (default dictionary, accurate mode,
HMM on) and joined by spaces; an output that is empty after segmentation becomes ``无内容``; the
score is rouge-chinese's summary-level ROUGE-L F of each pair (sentences split on 。！？ etc.),
averaged over records. 1-1 removes ``答案:`` from the reference first; no task reports abstentions.

Quirks kept in ``score`` (README Q14, Q15): 3-8 references start with ``回答:`` and LawBench keeps that prefix, so an
output that opens with ``回答：`` gets a free match. ``score_strict`` of 3-8 removes the prefix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

from lawbench.metrics.lawbench_oc.base import RefFormatError, TaskScore
from lawbench.metrics.lawbench_oc.items import ItemRow, aggregate_rows

EMPTY_OUTPUT = "无内容"  # what LawBench scores in place of an empty output


@lru_cache(maxsize=1)
def _segmenter():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading banner is noise in eval logs
    tokenizer = jieba.Tokenizer()  # own instance: words other code adds to jieba's global one don't leak in
    tokenizer.initialize()
    return tokenizer


@lru_cache(maxsize=1)
def _sentence_splitter():
    from rouge_chinese import Rouge

    return Rouge(metrics=["rouge-l"]).cut_sent


@lru_cache(maxsize=4096)
def segment(text: str) -> str:
    """jieba words joined by spaces (cached: 3-8's strict pass re-reads the same outputs)."""
    return " ".join(_segmenter().cut(text))


def lcs_length(first: Sequence[str], second: Sequence[str]) -> int:
    """Length of the longest common subsequence (bit-parallel, Allison-Dix / Hyyrö).

    The same integer rouge-chinese's dynamic programme computes, in O(len(second)) big-int steps.

    >>> lcs_length("ABCBDAB", "BDCABA")
    4
    """
    masks: dict[str, int] = {}
    for position, token in enumerate(first):
        masks[token] = masks.get(token, 0) | (1 << position)
    full = (1 << len(first)) - 1
    row = full
    for token in second:
        matched = row & masks.get(token, 0)
        row = ((row + matched) | (row - matched)) & full
    return len(first) - row.bit_count()


def _words(text: str) -> list[str]:
    # rouge-chinese: split into sentences, collapse whitespace in each, then split each on " ".
    sentences = [" ".join(part.split()) for part in _sentence_splitter()(text) if len(part) > 0]
    return [word for sentence in sentences for word in sentence.split(" ")]


def rouge_l_pair(hyp: str, ref: str) -> float:
    """rouge-chinese's ``Rouge().get_scores(hyp, ref)[0]["rouge-l"]["f"]`` on segmented texts.

    Same sentence splitting, word lists and float formula; only the LCS is computed faster (a test
    compares both on random texts, and the parity test checks LawBench's published numbers).
    """
    hyp_words, ref_words = _words(hyp), _words(ref)
    if not hyp_words or not ref_words:
        raise ValueError("Collections must contain at least 1 sentence.")
    common = lcs_length(ref_words, hyp_words)
    recall, precision = common / len(ref_words), common / len(hyp_words)
    return 2.0 * ((precision * recall) / (precision + recall + 1e-8))


def _rouge_l(index: int, hyp: str, ref: str) -> float:
    """LawBench's ``compute_rouge`` of one pair on raw texts (an empty output scores as ``无内容``)."""
    hyp = segment(hyp)
    hyp = hyp if hyp.strip() != "" else EMPTY_OUTPUT
    ref = segment(ref)
    if ref.strip() == "":
        # rouge-chinese raises here (and LawBench's evaluation stops): say which record.
        raise RefFormatError(index, "reference is empty: ROUGE-L needs a reference text")
    return rouge_l_pair(hyp, ref)


def rouge_l_f(hyps: Sequence[str], refs: Sequence[str]) -> list[float]:
    """LawBench's ``compute_rouge`` (ROUGE-L F per pair) on raw texts.

    >>> [round(f, 4) for f in rouge_l_f(["盗窃公私财物", ""], ["盗窃公私财物，数额较大的", "任何文本"])]
    [0.6667, 0.0]
    """
    return [_rouge_l(index, hyp, ref) for index, (hyp, ref) in enumerate(zip(hyps, refs))]


def rouge_item(task: str, index: int, pred: str, ref: str) -> ItemRow:
    """One record: ROUGE-L against LawBench's reference and against the strict one (no abstentions)."""
    if task == "1-1":  # LawBench removes every "答案:" from the reference
        lawbench_ref = strict_ref = ref.replace("答案:", "")
    else:  # ...but keeps 3-8's leading "回答:", which strict scoring drops
        lawbench_ref = ref
        strict_ref = ref.removeprefix("回答:") if task == "3-8" else ref
    score = _rouge_l(index, pred, lawbench_ref)
    strict = score if strict_ref == lawbench_ref else _rouge_l(index, pred, strict_ref)
    return ItemRow(score, 1, 0, 1, strict, 1, 0, 1)


def score_rouge_task(task: str, preds: Sequence[str], refs: Sequence[str]) -> TaskScore:
    return aggregate_rows([rouge_item(task, i, pred, ref) for i, (pred, ref) in enumerate(zip(preds, refs))])
