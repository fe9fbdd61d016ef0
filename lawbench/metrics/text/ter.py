"""Character TER for Chinese: sacreBLEU's ``TER(normalized=True, asian_support=True)``, compiled.

sacreBLEU (2.x, ``sacrebleu/metrics/lib_ter.py``) re-implements Tercom in pure Python. Its shift
search scores up to 1000 shifted hypotheses per pair with a beam edit distance, which on character
tokens of LawBench 3-8 answers (a few hundred characters) costs seconds per pair. This module runs
the *same* algorithm with numba-compiled loops and returns the same statistics, bit for bit
(tests/metrics/text/test_ter.py compares them with sacreBLEU on real LawBench 3-8 pairs and random
strings):

* text: sacreBLEU's own ``TercomTokenizer(normalized=True, asian_support=True)`` after
  ``rstrip()`` (lowercased; western punctuation split; CJK ideographs, CJK and full-width
  punctuation one token each), then split on spaces;
* edit distance: insertion, deletion, substitution cost 1, computed only in a beam of 25 cells
  each side of the pseudo-diagonal ``floor(i * len(ref) / len(hyp))`` (widened to
  ``ceil(ratio / 2 + 25)`` when the length ratio exceeds 50); the last row is computed in full.
  Ties prefer match/substitution, then deletion, then insertion, as sacreBLEU does; the traceback
  gives the alignment the shift search uses;
* shifts: blocks of 1-10 matching tokens at most 50 positions from their reference position,
  skipped where the block is already right; each candidate target position is scored, the best
  (largest reduction, then longest, earliest block, earliest target) is applied while it reduces
  the distance; once 1000 candidates (counted over the whole pair) have been scored the search
  stops and the shift found in that last round is *not* applied (sacreBLEU's behaviour, kept);
* a pair's statistics: ``[edits + shifts, reference length]``; with several references the fewest
  edits and the mean reference length; corpus TER ``100 * sum(edits) / sum(lengths)``.

sacreBLEU caches edit-distance rows of hypothesis prefixes; a cached row is the row the
computation would give anyway (the beam depends only on the two lengths, and shifting keeps the
hypothesis length), so the cache only saves time. Here a shifted candidate likewise starts from
the current hypothesis's row where their tokens part, and stops where they meet again: from there
on the remaining cost is the hypothesis's, read from a backward pass over the same beam (exact:
every path crosses each row inside the beam). A candidate costs the rows of the moved stretch only.

numba compiles the loops on first use (a few seconds) and caches the machine code next to this
file (or in numba's user cache directory when that is read-only); it is imported only when TER is
computed, so ``lawbench --help`` stays light.

Example:
    >>> sentence_stats("被告人犯盗窃罪", ["被告人犯盗窃罪。"])  # one missing character of 8
    [1, 8.0]
    >>> corpus_ter([[1, 8.0], [0, 4.0]])
    8.333333333333332
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

import numba
import numpy as np

DESCRIPTION = "character TER, sacreBLEU TER(normalized=True, asian_support=True)"

# sacreBLEU's limits and costs (lib_ter.py), same names without the underscore.
MAX_SHIFT_SIZE = 10
MAX_SHIFT_DIST = 50
BEAM_WIDTH = 25
MAX_SHIFT_CANDIDATES = 1000
INT_INFINITY = 10**16

# Edit operations in the matrix (sacreBLEU's ' ', 's', 'd', 'i', 'x'). DEL consumes a hypothesis
# token (row above), INS a reference token (cell to the left).
_NOP, _SUB, _DEL, _INS, _UNDEF = 0, 1, 2, 3, 4

_jit = numba.njit(cache=True, nogil=True)


@cache
def _tokenizer():
    from sacrebleu.tokenizers.tokenizer_ter import TercomTokenizer

    return TercomTokenizer(normalized=True, asian_support=True)


def tokenize(text: str) -> list[str]:
    """The tokens TER compares: sacreBLEU's Tercom normalisation with Asian support, lowercased.

    >>> tokenize("依照《刑法》第264条,构成盗窃罪。Theft's")
    ['依', '照', '《', '刑', '法', '》', '第', '264', '条', ',', '构', '成', '盗', '窃', '罪', '。', 'theft', "'s"]
    """
    return _tokenizer()(text.rstrip()).split()


def sentence_stats(hypothesis: str, references: Sequence[str | None]) -> list[float]:
    """``[edits, reference length]`` of one hypothesis, as sacreBLEU's ``_extract_corpus_statistics``.

    ``None`` references are skipped (sacreBLEU's variable reference counts). Edits are the fewest
    over the references, the length is their mean.
    """
    refs = [tokenize(r) for r in references if r is not None]
    if not refs:
        raise ValueError("TER needs at least one reference")
    words = tokenize(hypothesis)
    vocabulary: dict[str, int] = {}
    hyp = _ids(words, vocabulary)
    best, lengths = INT_INFINITY, 0
    for ref in refs:
        edits = int(_translation_edits(hyp, _ids(ref, vocabulary)))
        lengths += len(ref)
        best = min(best, edits)
    return [best, lengths / len(refs)]


def sentence_ter(hypothesis: str, references: Sequence[str | None]) -> float:
    """Sentence TER (0-100+), sacreBLEU's ``sentence_score(...).score``.

    >>> sentence_ter("被告人犯盗窃罪", ["被告人犯盗窃罪。"])
    12.5
    """
    return corpus_ter([sentence_stats(hypothesis, references)])


def corpus_ter(stats: Sequence[Sequence[float]]) -> float:
    """Corpus TER (0-100+) from per-pair ``[edits, length]`` rows: summed edits over summed lengths.

    As sacreBLEU: 100 when the references are all empty but some edits are needed, 0 when both are.
    """
    edits = sum(row[0] for row in stats)
    length = sum(row[1] for row in stats)
    if length > 0:
        return 100 * (edits / length)
    return 100.0 if edits > 0 else 0.0


def _ids(words: list[str], vocabulary: dict[str, int]) -> np.ndarray:
    return np.array([vocabulary.setdefault(w, len(vocabulary)) for w in words], dtype=np.int64)


# ---------------------------------------------------------------- compiled core (lib_ter.py's logic)


@_jit
def _beam(n: int, m: int):
    ratio = m / n if n > 0 else 1.0
    width = BEAM_WIDTH
    if BEAM_WIDTH < ratio / 2:  # very unequal lengths: keep consecutive rows' beams overlapping
        width = math.ceil(ratio / 2 + BEAM_WIDTH)
    return ratio, width


@_jit
def _window(i: int, n: int, m: int, ratio: float, width: int):
    diagonal = math.floor(i * ratio)
    low = max(0, diagonal - width)
    high = min(m + 1, diagonal + width)
    if i == n:
        high = m + 1
    return low, high


@_jit
def _fill_row(token, ref, previous, row, ops, low, high):
    """Cells ``[low, high)`` of one matrix row; cells outside stay at infinity (as in sacreBLEU)."""
    for j in range(low, high):
        if j == 0:
            row[0] = previous[0] + 1
            ops[0] = _DEL
            continue
        best, op = INT_INFINITY, _UNDEF
        if token == ref[j - 1]:
            cost, diagonal_op = previous[j - 1], _NOP
        else:
            cost, diagonal_op = previous[j - 1] + 1, _SUB
        if best > cost:
            best, op = cost, diagonal_op
        if best > previous[j] + 1:
            best, op = previous[j] + 1, _DEL
        if best > row[j - 1] + 1:
            best, op = row[j - 1] + 1, _INS
        row[j] = best
        ops[j] = op


@_jit
def _matrix(hyp, ref, ratio, width):
    n, m = len(hyp), len(ref)
    costs = np.full((n + 1, m + 1), INT_INFINITY, np.int64)
    ops = np.full((n + 1, m + 1), _UNDEF, np.int8)
    for j in range(m + 1):
        costs[0, j] = j
        ops[0, j] = _INS
    for i in range(1, n + 1):
        low, high = _window(i, n, m, ratio, width)
        _fill_row(hyp[i - 1], ref, costs[i - 1], costs[i], ops[i], low, high)
    return costs, ops


@_jit
def _remaining(hyp, ref, ratio, width):
    """``remaining[i, j]``: the cheapest way from cell ``(i, j)`` to the end, through the same beam.

    The distance is ``min_j costs[i, j] + remaining[i, j]`` for any row ``i``: every path crosses
    each row inside its beam. Row 0 is not needed (a candidate differs from row 1 on at the latest).
    """
    n, m = len(hyp), len(ref)
    remaining = np.full((n + 1, m + 1), INT_INFINITY, np.int64)
    for i in range(n, 0, -1):
        low, high = _window(i, n, m, ratio, width)
        for j in range(high - 1, low - 1, -1):
            if i == n and j == m:
                remaining[i, j] = 0
                continue
            best = INT_INFINITY
            if i < n:
                if j < m:
                    best = min(best, remaining[i + 1, j + 1] + (0 if hyp[i] == ref[j] else 1))
                best = min(best, remaining[i + 1, j] + 1)
            if j < m:
                best = min(best, remaining[i, j + 1] + 1)
            remaining[i, j] = best
    return remaining


@_jit
def _distance_from(shifted, ref, costs, remaining, start, rejoin, ratio, width):
    """Edit distance of ``shifted``, equal to the current hypothesis (matrices ``costs`` and
    ``remaining``) before token ``start`` and from token ``rejoin`` on.

    Rows up to ``start`` are the hypothesis's; rows ``start + 1`` to ``rejoin`` are computed; the rest
    of the way costs what it costs the hypothesis from there (same tokens, same beam).
    """
    n, m = len(shifted), len(ref)
    if start == n:
        return costs[n, m]
    rows = np.full((2, m + 1), INT_INFINITY, np.int64)
    written = np.zeros((2, 2), np.int64)  # cells [low, high) each buffer holds
    scratch_ops = np.empty(m + 1, np.int8)
    previous = costs[start]
    low, high = 0, m + 1
    for i in range(start + 1, rejoin + 1):
        k = i % 2
        rows[k, written[k, 0]:written[k, 1]] = INT_INFINITY  # drop row i - 2
        low, high = _window(i, n, m, ratio, width)
        _fill_row(shifted[i - 1], ref, previous, rows[k], scratch_ops, low, high)
        written[k, 0], written[k, 1] = low, high
        previous = rows[k]
    best = INT_INFINITY
    for j in range(low, high):
        if previous[j] < INT_INFINITY and remaining[rejoin, j] < INT_INFINITY:
            best = min(best, previous[j] + remaining[rejoin, j])
    return best


@_jit
def _alignment(ops, n, m):
    """sacreBLEU's ``trace_to_alignment(_flip_trace(trace))``: reference position -> hypothesis position."""
    trace = np.empty(n + m, np.int8)
    length, i, j = 0, n, m
    while i > 0 or j > 0:
        op = ops[i, j]
        trace[length] = op
        length += 1
        if op == _NOP or op == _SUB:
            i -= 1
            j -= 1
        elif op == _INS:
            j -= 1
        elif op == _DEL:
            i -= 1
        else:
            raise ValueError("TER: the beam left the edit path without a defined operation")
    align = np.empty(m, np.int64)
    ref_err = np.zeros(m, np.int64)
    hyp_err = np.zeros(n, np.int64)
    h, r = -1, -1
    for t in range(length - 1, -1, -1):
        op = trace[t]
        if op == _NOP or op == _SUB:
            h += 1
            r += 1
            align[r] = h
            if op == _SUB:
                hyp_err[h] = 1
                ref_err[r] = 1
        elif op == _INS:  # flipped: a deletion when rewriting the reference into the hypothesis
            r += 1
            align[r] = h
            ref_err[r] = 1
        else:
            h += 1
            hyp_err[h] = 1
    return align, ref_err, hyp_err


@_jit
def _perform_shift(words, start, length, target):
    if target < start:
        parts = (words[:target], words[start:start + length], words[target:start], words[start + length:])
    elif target > start + length:
        parts = (words[:start], words[start + length:target], words[start:start + length], words[target:])
    else:
        parts = (words[:start], words[start + length:length + target], words[start:start + length],
                 words[length + target:])
    return np.concatenate(parts)


@_jit
def _common_prefix(a, b):
    k = 0
    while k < len(a) and a[k] == b[k]:
        k += 1
    return k


@_jit
def _common_suffix(a, b):
    k = 0
    while k < len(a) and a[len(a) - 1 - k] == b[len(b) - 1 - k]:
        k += 1
    return k


@_jit
def _better(score, length, start, target, best_score, best_length, best_start, best_target):
    # sacreBLEU ranks (score, length, -start_h, -idx) tuples; equal keys mean equal shifted words
    if score != best_score:
        return score > best_score
    if length != best_length:
        return length > best_length
    if start != best_start:
        return start < best_start
    return target < best_target


@_jit
def _translation_edits(hyp, ref):
    """Shifts plus edit distance after the shifts (sacreBLEU's ``translation_edit_rate``)."""
    n, m = len(hyp), len(ref)
    if m == 0:
        return n
    ratio, width = _beam(n, m)
    shifts, checked = 0, 0
    while True:
        costs, ops = _matrix(hyp, ref, ratio, width)
        remaining = _remaining(hyp, ref, ratio, width)
        current = costs[n, m]
        align, ref_err, hyp_err = _alignment(ops, n, m)
        found = False
        best_score, best_length, best_start, best_target = 0, 0, 0, 0
        best_words = hyp
        capped = False
        for start_h in range(n):
            for start_r in range(m):
                if abs(start_r - start_h) > MAX_SHIFT_DIST:
                    continue
                length = 0
                while hyp[start_h + length] == ref[start_r + length] and length < MAX_SHIFT_SIZE:
                    length += 1
                    if (hyp_err[start_h:start_h + length].sum() > 0 and ref_err[start_r:start_r + length].sum() > 0
                            and not start_h <= align[start_r] < start_h + length):
                        previous_target = -1
                        for offset in range(-1, length):
                            if start_r + offset == -1:
                                target = 0  # before the beginning
                            elif start_r + offset < m:
                                target = align[start_r + offset] + 1
                            else:
                                break
                            if target == previous_target:
                                continue
                            previous_target = target
                            shifted = _perform_shift(hyp, start_h, length, target)
                            distance = _distance_from(shifted, ref, costs, remaining, _common_prefix(hyp, shifted),
                                                      n - _common_suffix(hyp, shifted), ratio, width)
                            score = current - distance
                            checked += 1
                            if not found or _better(score, length, start_h, target,
                                                    best_score, best_length, best_start, best_target):
                                found = True
                                best_score, best_length, best_start, best_target = score, length, start_h, target
                                best_words = shifted
                        if checked >= MAX_SHIFT_CANDIDATES:
                            capped = True
                            break
                    if n == start_h + length or m == start_r + length:
                        break
                if capped:
                    break
            if capped:
                break
        if capped or not found or best_score <= 0:
            return shifts + current
        shifts += 1
        hyp = best_words
