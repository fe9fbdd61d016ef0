"""Extraction tasks scored by character F1 (CAIL's ``compute_f1``): 2-5, 2-6 and 2-10.

* 2-5 reading comprehension: ``回答:`` is removed from the reference; mean character F1.
* 2-6 entity recognition: for each of ten entity types, the value after ``<type>:`` / ``<type>：`` in
  the output runs to the next newline or space; the last occurrence wins, one closer than two
  characters to the end of the output is ignored, ``无`` / ``未提及`` mean none. Per record: soft F1 of
  matched types (character F1 of the values) over predicted and reference types; a reference with
  no entity scores 1 only when nothing is predicted.
* 2-10 trigger words: output and reference are split on ``;`` and compared *position by position*.

Quirks kept in ``score`` (README Q3, Q17, Q18): 2-6 entity values on one line run into each other (``受害人:甲;
被盗物品:手机`` gives the victim ``甲;被盗物品:手机``); 2-6 reports no abstention at all (LawBench's
``anstention_rate`` typo hides it from its results table); 2-10 compares the i-th predicted trigger
with the i-th reference trigger only, and a full-width ``；`` does not split. ``score_strict`` ends
2-6 values at ``;`` / ``；`` too and reports the real abstention rate; it splits 2-10 outputs on both
semicolons and pairs triggers greedily by best F1, whatever their order.

>>> result = score_extraction_task("2-10", ["退给;查扣"], ["查扣;退给"])
>>> result.score, round(result.score_strict, 6)
(0.0, 1.0)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lawbench.metrics.lawbench_oc.base import RefFormatError, TaskScore, char_f1
from lawbench.metrics.lawbench_oc.items import ItemRow, aggregate_rows

ENTITY_TYPES = ("犯罪嫌疑人", "受害人", "被盗货币", "物品价值", "盗窃获利", "被盗物品", "作案工具", "时间", "地点",
                "组织机构")
NO_ENTITY = ("无", "未提及")
_EPSILON = 1e-10  # LawBench's guard in 2-6 and 2-10's F1 denominators


def _soft_f1(matched: list[float], n_pred: int, n_gold: int) -> float:
    precision = sum(matched) / n_pred if n_pred > 0 else 0
    recall = sum(matched) / n_gold if n_gold > 0 else 0
    return 2 * precision * recall / (precision + recall + _EPSILON)


# --------------------------------------------------------------------------- 2-5
def _reading_item(index: int, pred: str, ref: str) -> ItemRow:
    f1 = char_f1(ref.replace("回答:", ""), pred)
    return ItemRow(f1, 1, 0, 1, f1, 1, 0, 1)


# --------------------------------------------------------------------------- 2-6
def gold_entities(index: int, ref: str) -> dict[str, str]:
    if ref.strip() == "":
        return {}
    entities = {}
    for item in ref.split(";"):
        parts = item.split(":")
        if len(parts) < 2:
            raise RefFormatError(index, f"reference item {item[:30]!r} is not '<entity type>:<value>'")
        entities[parts[0]] = parts[1]
    return entities


def predicted_entities(pred: str, stop_at_semicolon: bool = False) -> dict[str, str]:
    """Entity values read from an output (LawBench's rule; strict also stops at semicolons).

    >>> predicted_entities("受害人:严某某;被盗物品:手机\\n时间:无")
    {'受害人': '严某某;被盗物品:手机', '被盗物品': '手机'}
    >>> predicted_entities("受害人:严某某;被盗物品:手机", stop_at_semicolon=True)
    {'受害人': '严某某', '被盗物品': '手机'}
    """
    boundary = "\n| |;|；" if stop_at_semicolon else "\n| "
    found = {}
    for etype in ENTITY_TYPES:
        for match in re.finditer(etype, pred):
            end = match.end()
            if end >= len(pred) - 2 or pred[end] not in ":：":
                continue
            value = re.split(boundary, pred[end + 1:].strip())[0].strip()
            if value not in NO_ENTITY:
                found[etype] = value
    return found


def _entity_f1(gold: dict[str, str], pred: dict[str, str]) -> float:
    matched = [char_f1(gold[etype], value) for etype, value in pred.items() if etype in gold]
    return _soft_f1(matched, len(pred), len(gold))


def _entity_item(index: int, pred: str, ref: str) -> ItemRow:
    gold = gold_entities(index, ref)
    found, found_strict = predicted_entities(pred), predicted_entities(pred, stop_at_semicolon=True)
    if not gold:  # nothing to find: right only if nothing is predicted, never an abstention
        return ItemRow(int(not found), 1, 0, 1, int(not found_strict), 1, 0, 1)
    # LawBench's score is the sum over records / count; its abstention never reaches the table (0).
    return ItemRow(_entity_f1(gold, found), 1, 0, 1, _entity_f1(gold, found_strict), 1, int(not found_strict), 1)


# --------------------------------------------------------------------------- 2-10
def _positional_f1(gold: list[str], pred: list[str]) -> float:
    return _soft_f1([char_f1(g, p) for g, p in zip(gold, pred)], len(pred), len(gold))


def _greedy_f1(gold: list[str], pred: list[str]) -> float:
    """Pair each trigger with at most one reference trigger, best character F1 first."""
    pairs = sorted(((char_f1(g, p), i, j) for i, g in enumerate(gold) for j, p in enumerate(pred)), reverse=True)
    used_gold, used_pred, matched = set(), set(), []
    for f1, i, j in pairs:
        if f1 > 0 and i not in used_gold and j not in used_pred:
            used_gold.add(i)
            used_pred.add(j)
            matched.append(f1)
    return _soft_f1(matched, len(pred), len(gold))


def _trigger_item(index: int, pred: str, ref: str) -> ItemRow:
    gold = ref.split(";")
    strict_pred = [item.strip() for item in re.split("[;；]", pred) if item.strip()] or [""]
    return ItemRow(_positional_f1(gold, pred.split(";")), 1, 0, 1,
                   _greedy_f1([item.strip() for item in gold], strict_pred), 1, 0, 1)


def extraction_item(task: str, index: int, pred: str, ref: str) -> ItemRow:
    return {"2-5": _reading_item, "2-6": _entity_item, "2-10": _trigger_item}[task](index, pred, ref)


def score_extraction_task(task: str, preds: Sequence[str], refs: Sequence[str]) -> TaskScore:
    return aggregate_rows([extraction_item(task, i, pred, ref) for i, (pred, ref) in enumerate(zip(preds, refs))])
