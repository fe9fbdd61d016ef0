"""ChERRANT's merge of a character alignment into span edits (ERRANT's merge, adapted for Chinese).

1. Consecutive steps are grouped: matches together, each transposition alone, and runs of
   D / I / S together. A run of one kind merges into one edit (only D, only I, only S); a run mixing
   D and I stays split; any other mix becomes one S.
2. Word-order patterns over three consecutive edits become one transposition ``T<length>``:
   ``S M S`` whose two substitutions swap the same text (edit distance ≤ 1 when all parts are longer
   than one character), and ``D M I`` / ``I M D`` (the middle may be a transposition) moving the
   same text (≤ 1 edit apart, or a rotation of it), unless either text is punctuation.
3. Matches are dropped, and so are edits whose two sides read the same; a substitution whose
   target starts or ends with its source's characters is trimmed to the changed part (an I or D
   when one side becomes empty).

>>> src, tgt = list("印度对全世界"), list("全世界对印度")  # S M S swapping the same texts: one word-order edit
>>> merge([("S", 0, 1, 0, 1), ("S", 1, 2, 1, 2), ("M", 2, 3, 2, 3), ("S", 3, 4, 3, 4),
...        ("S", 4, 5, 4, 5), ("S", 5, 6, 5, 6)], src, tgt)
[('T6', 0, 6, 0, 6)]
>>> merge([("D", 0, 1, 0, 0), ("M", 1, 2, 0, 1), ("I", 2, 2, 1, 2)], list("旅去"), list("去旅"))
[('T2', 0, 2, 0, 2)]
"""

from __future__ import annotations

from itertools import groupby
from string import punctuation

from lawbench.metrics.cherrant.alignment import Step

# ChERRANT's merge punctuation: ASCII's, then its Chinese list (which differs from the alignment's).
# Multi-character texts are tested as substrings of this string, as ChERRANT does.
MERGE_PUNCT = punctuation + ("！？｡＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～"
                             "｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟–—‘'‛“”„‟…‧.")


def levenshtein(a: str, b: str) -> int:
    """Plain edit distance (unit costs).

    >>> levenshtein("kitten", "sitting")
    3
    """
    if len(a) < len(b):
        a, b = b, a
    row = list(range(len(b) + 1))
    for x, ch_a in enumerate(a, 1):
        previous, row[0] = row[0], x
        for y, ch_b in enumerate(b, 1):
            previous, row[y] = row[y], min(row[y] + 1, row[y - 1] + 1, previous + (ch_a != ch_b))
    return row[-1]


def _span(steps: list[Step], tag: str) -> list[Step]:
    return [(tag, steps[0][1], steps[-1][2], steps[0][3], steps[-1][4])] if steps else steps


def _merge_run(run: list[Step]) -> list[Step]:
    if len(run) <= 1:
        return run
    kinds = {step[0] for step in run}
    if kinds in ({"D"}, {"I"}, {"M"}):
        return _span(run, kinds.pop())
    if kinds == {"D", "I"}:
        return run
    return _span(run, "S")


def _group_key(step: Step) -> str | bool:
    return step[0][0] if step[0][0] in ("M", "T") else False


def _word_order(edits: list[Step], at: int, src: list[str], tgt: list[str]) -> bool:
    """Whether ``edits[at:at+3]`` is one of ChERRANT's word-order patterns."""
    first, middle, last = (edit[0][0] for edit in edits[at: at + 3])
    e1, e3 = edits[at], edits[at + 2]
    if first == "S" and middle == "M" and last == "S":
        w1, w2 = "".join(src[e1[1]: e1[2]]), "".join(tgt[e1[3]: e1[4]])
        w3, w4 = "".join(src[e3[1]: e3[2]]), "".join(tgt[e3[3]: e3[4]])
        if min(len(w1), len(w2), len(w3), len(w4)) == 1:
            return w1 == w4 and w2 == w3
        return levenshtein(w1, w4) <= 1 and levenshtein(w2, w3) <= 1
    if (first, last) in (("D", "I"), ("I", "D")) and middle in ("M", "T"):
        deleted, inserted = (e1, e3) if first == "D" else (e3, e1)
        a, b = "".join(src[deleted[1]: deleted[2]]), "".join(tgt[inserted[3]: inserted[4]])
        if len(a) < len(b):
            a, b = b, a
        if a in MERGE_PUNCT or b in MERGE_PUNCT or len(a) - len(b) > 1:
            return False
        if len(b) == 1:
            return a == b
        return levenshtein(a, b) <= 1 or (len(a) == len(b) and b in a + a)
    return False


def _trim_substitution(edit: Step, src: list[str], tgt: list[str]) -> Step:
    """Cut the characters a substitution's target shares with its source at either end."""
    _, s_start, s_end, t_start, t_end = edit
    target = "".join(tgt[t_start:t_end])
    trimmed = False
    new_s_start, new_t_start = s_start, t_start
    common, cut_to = "", s_start
    for x in range(s_start, s_end):
        if not target.startswith(common + src[x]):
            break
        common += src[x]
        cut_to = x + 1
    if common:
        text = ""
        for y in range(t_start, t_end):
            text += tgt[y]
            if text == common:
                new_s_start, new_t_start, trimmed = cut_to, y + 1, True
                break
            if len(text) > len(common):
                break
    new_s_end, new_t_end = s_end, t_end
    common, cut_from = "", s_end
    for x in reversed(range(new_s_start, s_end)):
        if not target.endswith(src[x] + common):
            break
        common = src[x] + common
        cut_from = x
    if common:
        text = ""
        for y in reversed(range(new_t_start, t_end)):
            text = tgt[y] + text
            if text == common:
                new_s_end, new_t_end, trimmed = cut_from, y, True
                break
            if len(text) > len(common):
                break
    if not trimmed:
        return edit
    kind = "I" if new_s_start == new_s_end else "D" if new_t_start == new_t_end else "S"
    return (kind, new_s_start, new_s_end, new_t_start, new_t_end)


def merge(path: list[Step], src: list[str], tgt: list[str]) -> list[Step]:
    """The edits of one alignment path (steps ``(op, src start, src end, tgt start, tgt end)``)."""
    return finish(group_steps(path), src, tgt)


def group_steps(path: list[Step]) -> list[Step]:
    """Step 1: runs of steps merged into span edits (matches included)."""
    edits: list[Step] = []
    for key, group in groupby(path, _group_key):
        run = list(group)
        edits.extend(run if key == "T" else _merge_run(run))
    return edits


def finish(edits: list[Step], src: list[str], tgt: list[str]) -> list[Step]:
    """Steps 2 and 3 on the grouped edits of one path."""
    kept: list[Step] = []
    at = 0
    while at < len(edits):
        if at < len(edits) - 2 and _word_order(edits, at, src, tgt):
            e1, e3 = edits[at], edits[at + 2]
            kept.append((f"T{e3[2] - e1[1]}", e1[1], e3[2], e1[3], e3[4]))
            at += 3
            continue
        if edits[at][0][0] != "M":
            kept.append(edits[at])
        at += 1
    out = []
    for edit in kept:
        if "".join(src[edit[1]: edit[2]]) == "".join(tgt[edit[3]: edit[4]]):
            continue
        out.append(_trim_substitution(edit, src, tgt) if edit[0] == "S" else edit)
    return out
