"""Label-set tasks scored by set F1: 2-3 (marital disputes), 2-9 (event detection), 3-3 (charges).

LawBench collects every known label that occurs *as a substring* of the output and takes the F1 of
that set against the reference labels; an output with no label is an abstention. Substring matching
means a charge contained in a longer one is found twice: ``合同诈骗`` also yields ``诈骗``, halving
precision of a right answer (README Q8).

``score_strict`` reads the last span inside the instructed tag (``[类别]…<eoa>``, ``[罪名]…<eoa>``)
that names a label, else the whole output, and for charges drops a name whose every occurrence lies
inside a longer name that was also found.

>>> result = score_label_task("3-3", ["[罪名]合同诈骗<eoa>"], ["罪名:合同诈骗"])
>>> round(result.score, 4), result.score_strict
(0.6667, 1.0)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from lawbench.metrics.lawbench_oc.base import RefFormatError, TaskScore, set_f1, strict_extract
from lawbench.metrics.lawbench_oc.charges import CHARGES
from lawbench.metrics.lawbench_oc.items import ItemRow, aggregate_rows

# 2-3 marital disputes (AIStudio): the 20 labels.
MARITAL_LABELS = ("婚后有子女", "限制行为能力子女抚养", "有夫妻共同财产", "支付抚养费", "不动产分割", "婚后分局",
                  "二次起诉离婚", "按月给付抚养费", "准予离婚", "有夫妻共同债务", "婚前个人财产", "法定离婚",
                  "不履行家庭义务", "存在非婚生子", "适当帮助", "不履行离婚协议", "损害赔偿", "感情不和分居满二年",
                  "子女随非抚养权人生活", "婚后个人财产")
# 2-9 event detection (LEVEN): the 20 event types.
EVENT_TYPES = ("支付/给付", "欺骗", "搜查/扣押", "要求/请求", "卖出", "买入", "获利", "拘捕", "鉴定", "同意/接受",
               "供述", "联络", "帮助/救助", "租用/借用", "受伤", "伪造", "卖淫", "伤害人身", "赔偿", "归还/偿还")


def found_labels(text: str, labels: Sequence[str]) -> set[str]:
    """LawBench's extraction: every label that occurs anywhere in ``text``."""
    return {label for label in labels if label in text}


def outermost_labels(text: str, labels: Sequence[str]) -> set[str]:
    """Found labels minus those only ever seen inside a longer found label (strict extraction).

    >>> sorted(outermost_labels("合同诈骗、诈骗", ("诈骗", "合同诈骗")))
    ['合同诈骗', '诈骗']
    >>> sorted(outermost_labels("合同诈骗", ("诈骗", "合同诈骗")))
    ['合同诈骗']
    """
    spans = {label: [(m.start(), m.start() + len(label)) for m in re.finditer(re.escape(label), text)]
             for label in found_labels(text, labels)}

    def covered(label: str, start: int, end: int) -> bool:
        return any(len(other) > len(label) and s <= start and end <= e
                   for other, occurrences in spans.items() for s, e in occurrences)

    return {label for label, occurrences in spans.items()
            if any(not covered(label, start, end) for start, end in occurrences)}


def _marital(index: int, ref: str) -> set[str]:
    if not (ref.startswith("类别:") and ref.endswith("。")):
        raise RefFormatError(index, f"reference {ref[:30]!r} is not '类别:<labels joined by 、>。'")
    gold = ref[3:-1].split("、")
    unknown = [label for label in gold if label not in MARITAL_LABELS]
    if unknown:
        raise RefFormatError(index, f"reference label {unknown[0]!r} is not one of the 20 marital-dispute labels")
    return set(gold)


def _events(index: int, ref: str) -> set[str]:
    return set(ref.split(";"))


def _charges(index: int, ref: str) -> set[str]:
    if not ref.startswith("罪名:"):
        raise RefFormatError(index, f"reference {ref[:30]!r} does not start with '罪名:'")
    return set(ref.replace("罪名:", "").split(";"))


@dataclass(frozen=True)
class LabelTask:
    labels: tuple[str, ...]
    parse_ref: Callable[[int, str], set[str]]
    tag: str | None
    nested_names: bool  # strict scoring drops labels nested inside longer found ones


LABEL_TASKS: dict[str, LabelTask] = {
    "2-3": LabelTask(MARITAL_LABELS, _marital, "[类别]", False),
    "2-9": LabelTask(EVENT_TYPES, _events, None, False),
    "3-3": LabelTask(CHARGES, _charges, "[罪名]", True),
}


def label_item(task: str, index: int, pred: str, ref: str) -> ItemRow:
    spec = LABEL_TASKS[task]
    reader = outermost_labels if spec.nested_names else found_labels
    gold = spec.parse_ref(index, ref)
    found = found_labels(pred, spec.labels)
    strict = strict_extract(pred, spec.tag, partial(reader, labels=spec.labels))
    return ItemRow(set_f1(gold, found), 1, int(not found), 1, set_f1(gold, strict), 1, int(not strict), 1)


def score_label_task(task: str, preds: Sequence[str], refs: Sequence[str]) -> TaskScore:
    return aggregate_rows([label_item(task, i, pred, ref) for i, (pred, ref) in enumerate(zip(preds, refs))])
