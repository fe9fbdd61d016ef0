"""LexEval's Rouge_L (generation tasks 5_x), reproduced exactly, and a strict variant.

Official (``evaluate.py`` ``eval_rougel``): both texts go through ``normalize_zh_answer`` (lower-case,
ASCII and Chinese punctuation removed, then *all* whitespace removed), are segmented with jieba
(precise mode) and joined by spaces, and the F of ``rouge`` 1.0.1's ``Rouge().get_scores(..., avg=True)
["rouge-l"]`` is taken, inside a bare ``except`` that scores 0.0. That F is summary-level ROUGE-L with
``exclusive=True``: hypothesis and reference sizes are counts of *distinct* tokens, the LCS is read back
by one particular back-trace and its distinct tokens are counted, ``F = 2PR / (P + R + 1e-8)``.

The bare ``except`` catches two failures: an empty text (``ValueError``) and the ``RecursionError`` of
rouge's recursive back-trace, one Python frame per step. The step count is computed here without
recursion and compared with the frames Python 3.11's default limit (1000) leaves when LexEval's
``evaluate.py`` is run as a script (:data:`OFFICIAL_MAX_TRACE_FRAMES`), so those zeros are reproduced
on any machine.

Strict: tokens are jieba words of the lower-cased, NFKC-normalised text with punctuation removed and
whitespace kept as a word boundary (English words stay apart), standard ROUGE-L F1 with repeated tokens
counted, no zeroing of long answers; an empty reference leaves the item out.

>>> score = score_rouge("被告人犯盗窃罪", "被告人犯诈骗罪")
>>> round(score.value["rouge_l"], 6), round(score.value["rouge_l_strict"], 6)
(0.666667, 0.666667)
>>> score_rouge("", "被告人犯诈骗罪").value["rouge_l"]
0.0
"""

from __future__ import annotations

import string
import unicodedata

from lawbench.metrics.lawbench_oc.rouge import lcs_length
from lawbench.metrics.score import Score

# Frames the recursive back-trace may use before RecursionError under ``python evaluate.py`` on
# CPython 3.11 (limit 1000 minus the frames below it: <module>, main, eval, eval_rougel, get_scores,
# _get_avg_scores, the metric lambda, rouge_l_summary_level, _union_lcs, _recon_lcs). Calibrated on
# LexEval's published 5_x outputs (see tests/metrics/test_lexeval.py).
OFFICIAL_MAX_TRACE_FRAMES = 990

_CN_PUNCTUATION = ("！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～"
                   "｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏.")
_PUNCTUATION = frozenset(string.punctuation + _CN_PUNCTUATION)


def normalize_zh_answer(text: str) -> str:
    """LexEval's normalisation: lower-case, drop punctuation, drop every whitespace.

    >>> normalize_zh_answer("Hello, World！ 第一条")
    'helloworld第一条'
    """
    kept = "".join(char for char in text.lower() if char not in _PUNCTUATION)
    return "".join(kept.split())


def _segment(text: str) -> str:
    import jieba

    return " ".join(jieba.cut(text, cut_all=False))


def _sentences(segmented: str) -> list[str]:
    # rouge's Rouge._get_avg_scores: split on ".", re-join each piece's whitespace-split words.
    return [" ".join(piece.split()) for piece in segmented.split(".") if len(piece) > 0]


def _lcs_rows(x: list[str], y: list[str]) -> list[int]:
    """Bit-parallel LCS (Hyyrö 2004): row ``i`` as an int whose zero bits among the low ``j`` count
    ``LCS(x[:i], y[:j])``. Same table as rouge's ``_lcs`` dictionary, in O(len(x)) integer operations."""
    mask = (1 << len(y)) - 1
    matches: dict[str, int] = {}
    for j, token in enumerate(y):
        matches[token] = matches.get(token, 0) | (1 << j)
    rows = [mask]
    row = mask
    for token in x:
        hits = row & matches.get(token, 0)
        row = ((row + hits) | (row - hits)) & mask
        rows.append(row)
    return rows


def _cell(rows: list[int], i: int, j: int) -> int:
    """``LCS(x[:i], y[:j])`` from :func:`_lcs_rows`."""
    return j - (rows[i] & ((1 << j) - 1)).bit_count()


def _trace_lcs(x: list[str], y: list[str]) -> tuple[list[str], int]:
    """rouge's ``_recon_lcs`` back-trace without recursion: (LCS tokens, frames the recursion uses)."""
    rows = _lcs_rows(x, y)
    i, j = len(x), len(y)
    tokens: list[str] = []
    frames = 1
    while i > 0 and j > 0:
        if x[i - 1] == y[j - 1]:
            tokens.append(x[i - 1])
            i, j = i - 1, j - 1
        elif _cell(rows, i - 1, j) > _cell(rows, i, j - 1):
            i -= 1
        else:
            j -= 1
        frames += 1
    tokens.reverse()
    return tokens, frames


def official_rouge_l(output: str, answer: str) -> tuple[float, str | None]:
    """(LexEval's per-item Rouge_L, why it was zeroed: ``"empty"``, ``"recursion"`` or ``None``)."""
    hyp = _sentences(_segment(normalize_zh_answer(output)))
    ref = _sentences(_segment(normalize_zh_answer(answer)))
    if not hyp or not ref:
        return 0.0, "empty"
    hyp_words = [word for sentence in hyp for word in sentence.split(" ")]
    ref_words = [word for sentence in ref for word in sentence.split(" ")]
    m, n = len(set(ref_words)), len(set(hyp_words))
    union: set[str] = set()
    for ref_sentence in ref:  # summary level: one union LCS per reference sentence
        ref_sentence_words = ref_sentence.split(" ")
        for hyp_sentence in hyp:
            tokens, frames = _trace_lcs(ref_sentence_words, hyp_sentence.split(" "))
            if frames > OFFICIAL_MAX_TRACE_FRAMES:
                return 0.0, "recursion"
            union |= set(tokens)
    llcs = len(union)
    recall, precision = llcs / m, llcs / n
    return 2.0 * ((precision * recall) / (precision + recall + 1e-8)), None


def _strict_tokens(text: str) -> list[str]:
    import jieba

    kept = "".join(" " if char in _PUNCTUATION else char for char in unicodedata.normalize("NFKC", text).lower())
    return [word for word in jieba.cut(kept, cut_all=False) if not word.isspace()]


def _strict_f1(hyp: list[str], ref: list[str]) -> float:
    lcs = lcs_length(hyp, ref) if hyp and ref else 0
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(hyp), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def strict_rouge_l(output: str, answer: str) -> float | None:
    """Standard ROUGE-L F1 over jieba words (``None`` when the reference has no word).

    >>> strict_rouge_l("The Court held", "the court"), strict_rouge_l("判决", "。")
    (0.8, None)
    """
    ref = _strict_tokens(answer)
    return _strict_f1(_strict_tokens(output), ref) if ref else None


def score_rouge(output: str, answer: str) -> Score:
    """One generation item: ``rouge_l`` (official), ``rouge_l_strict``, ``abstained`` (empty output)."""
    official, zeroed = official_rouge_l(output, answer)
    value = {"rouge_l": official, "abstained": float(not normalize_zh_answer(output))}
    ref, hyp = _strict_tokens(answer), _strict_tokens(output)
    if ref:
        value["rouge_l_strict"] = _strict_f1(hyp, ref)
        value["abstained_strict"] = float(not hyp)
    return Score(value, answer=output, canonical=output,
                 explanation=f"Rouge_L {official:.4f}" + (f" (zeroed: {zeroed})" if zeroed else ""),
                 metadata={"official_zeroed": zeroed})
