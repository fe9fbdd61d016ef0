"""ChERRANT's annotation of one sentence pair at character level: its edits, pooled over alignments.

A pair is tokenised into characters (``[缺失成分]``, "missing constituent", stays one token). A
target equal to the source, or the literal ``没有错误`` ("no error"), is a no-op; ``无法标注``
("cannot be annotated") marks the sentence as unannotatable. Otherwise every cheapest alignment is
merged into edits (:mod:`~lawbench.metrics.cherrant.merge`, through
:mod:`~lawbench.metrics.cherrant.segments`); each *distinct* edit list counts once,
and all of them are pooled under the same annotator, so an edit found in several alignments is
listed several times. Each edit is keyed as ChERRANT compares it — ``(start, end, correction)``,
with ``-NONE-`` as the correction of a deletion — and carries its type: ``S`` (substitution),
``M`` (missing: insertion), ``R`` (redundant: deletion) or ``W`` (word order).

>>> from lawbench.metrics.cherrant.costs import SubstitutionCosts
>>> from lawbench.metrics.cherrant.resources import CherrantTables
>>> costs = SubstitutionCosts(CherrantTables({}, {}))
>>> annotate("上诉证据合法", "上述证据合法", costs)
{(1, 2, '述'): ['S']}
>>> annotate("上诉证据合法", "没有错误", costs)
{(-1, -1, '-NONE-'): ['noop']}
"""

from __future__ import annotations

from lawbench.metrics.cherrant.alignment import align
from lawbench.metrics.cherrant.costs import SubstitutionCosts
from lawbench.metrics.cherrant.merge import finish, group_steps
from lawbench.metrics.cherrant.segments import grouped_edits

NO_ERROR, NOT_ANNOTATABLE = "没有错误", "无法标注"
NOOP, NA = "noop", "NA"
NONE = "-NONE-"
EMPTY_KEY = (-1, -1, NONE)
MISSING_CONSTITUENT = "[缺失成分]"
Edits = dict[tuple[int, int, str], list[str]]  # (start, end, correction) → types, once per occurrence


def tokenize(sentence: str) -> list[str]:
    """Characters, with ``[缺失成分]`` kept whole.

    >>> tokenize("他[缺失成分]了")
    ['他', '[缺失成分]', '了']
    """
    spaced = " ".join(sentence).replace(" ".join(MISSING_CONSTITUENT), MISSING_CONSTITUENT)
    return spaced.split(" ")


def _classified(edit: tuple, tgt: list[str]) -> tuple[tuple[int, int, str], str]:
    op, s_start, s_end, t_start, t_end = edit
    correction = "".join(tgt[t_start:t_end])
    kind = {"T": "W", "D": "R", "I": "M", "S": "S"}[op[0]]
    return (s_start, s_end, NONE if kind == "R" else correction), kind


def annotate(source: str, target: str, costs: SubstitutionCosts) -> Edits:
    """The pooled edits of ``source`` → ``target`` (both already whitespace-free)."""
    if target == NO_ERROR or source == target:
        return {EMPTY_KEY: [NOOP]}
    if target == NOT_ANNOTATABLE:
        return {EMPTY_KEY: [NA]}
    src, tgt = tokenize(source), tokenize(target)
    table = align(src, tgt, costs)
    groupings = grouped_edits(table) if table.all_paths else (group_steps(path) for path in table.paths())
    seen: set[tuple] = set()
    pooled: Edits = {}
    for grouped in groupings:
        edits = tuple(finish(grouped, src, tgt))
        if edits in seen:
            continue
        seen.add(edits)
        for edit in edits:
            key, kind = _classified(edit, tgt)
            pooled.setdefault(key, []).append(kind)
    return pooled or {EMPTY_KEY: [NOOP]}
