"""Single-answer choice tasks, scored by accuracy: 1-2, 3-6, 2-8 (letters) and 2-2, 2-4 (categories).

README quirks Q4 (2-2's skipped label), Q6 and Q7.

LawBench's rule (``multi_choice_judge``): every option that occurs anywhere in the output counts as
chosen; an answer is right only when the reference is the one option chosen; none is an abstention.
So a letter inside an explanation (``B项错误``), a category named while reasoning, or an echoed list
of categories makes an otherwise right answer wrong.

``score_strict`` applies the same rule to the last span inside the instructed tag (``[正确答案]…<eoa>``,
``[争议焦点]…<eoa>``, ``[类别]…<eoa>``) that names an option; without one, letter tasks take the
last ``答案是/为/：X``, and otherwise the whole output is judged as LawBench does.

>>> score_choice_task("1-2", ["解析：A项错误。[正确答案]B<eoa>"], ["正确答案：B。"]).score
0.0
>>> score_choice_task("1-2", ["解析：A项错误。[正确答案]B<eoa>"], ["正确答案：B。"]).score_strict
1.0
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lawbench.metrics.lawbench_oc.base import RefFormatError, TaskScore, choice_judgement, strict_extract
from lawbench.metrics.lawbench_oc.items import ItemRow, aggregate_rows

LETTERS_4 = ("A", "B", "C", "D")
LETTERS_5 = ("A", "B", "C", "D", "E")
# 2-2 dispute focus (LAIC2021): the 16 categories LawBench accepts.
DISPUTE_FOCI = ("诉讼主体", "租金情况", "利息", "本金争议", "责任认定", "责任划分", "损失认定及处理",
                "原审判决是否适当", "合同效力", "财产分割", "责任承担", "鉴定结论采信问题", "诉讼时效", "违约",
                "合同解除", "肇事逃逸")
# 2-4 consultation topics (CrimeKgAssitant).
TOPICS = ("婚姻家庭", "劳动纠纷", "交通事故", "债权债务", "刑事辩护", "合同纠纷", "房产纠纷", "侵权", "公司法",
          "医疗纠纷", "拆迁安置", "行政诉讼", "建设工程", "知识产权", "综合咨询", "人身损害", "涉外法律", "海事海商",
          "消费权益", "抵押担保")


def _letter_after(prefix: str, options: Sequence[str]) -> Callable[[int, str], str]:
    """Reference reader of the letter tasks: ``<prefix><letter>…`` (LawBench asserts this shape)."""
    position = len(prefix)

    def parse(index: int, ref: str) -> str:
        if not ref.startswith(prefix) or len(ref) <= position or ref[position] not in options:
            raise RefFormatError(index, f"reference {ref[:30]!r} does not start with '{prefix}' "
                                        f"and one of {''.join(options)}")
        return ref[position]

    return parse


def _dispute_focus(index: int, ref: str) -> str | None:
    label = ref[7:-1]
    if label == "赔偿":
        return None  # LawBench skips this label (not among its 16 categories); see README quirk Q4
    if not ref.startswith("争议焦点类别：") or label not in DISPUTE_FOCI:
        raise RefFormatError(index, f"reference {ref[:30]!r} is not '争议焦点类别：<one of the 16 categories>。'")
    return label


def _topic(index: int, ref: str) -> str:
    if ref not in TOPICS:
        raise RefFormatError(index, f"reference {ref[:30]!r} is not one of the 20 consultation topics")
    return ref


@dataclass(frozen=True)
class ChoiceTask:
    options: tuple[str, ...]
    parse_ref: Callable[[int, str], str | None]  # None: LawBench skips the record
    tag: str


CHOICE_TASKS: dict[str, ChoiceTask] = {
    "1-2": ChoiceTask(LETTERS_4, _letter_after("正确答案：", LETTERS_4), "[正确答案]"),  # full-width colon
    "3-6": ChoiceTask(LETTERS_4, _letter_after("正确答案:", LETTERS_4), "[正确答案]"),  # ASCII colon
    "2-8": ChoiceTask(LETTERS_5, _letter_after("[正确答案]", LETTERS_5), "[正确答案]"),
    "2-2": ChoiceTask(DISPUTE_FOCI, _dispute_focus, "[争议焦点]"),
    "2-4": ChoiceTask(TOPICS, _topic, "[类别]"),
}


_STATED_LETTER = re.compile(r"答案\s*(?:是|为|:|：)?\s*([A-E])(?![A-Za-z])")


def strict_choice(text: str, spec: ChoiceTask) -> set[str]:
    """The options strict scoring reads as chosen.

    >>> sorted(strict_choice("我们需要从A、B、C、D中选出正确答案。因此正确答案为D。", CHOICE_TASKS["1-2"]))
    ['D']
    """

    def chosen(span: str) -> set[str]:
        return {option for option in spec.options if option in span}

    def fallback(whole: str) -> set[str]:
        stated = _STATED_LETTER.findall(whole) if spec.options[0] == "A" else []
        return {stated[-1]} if stated and stated[-1] in spec.options else chosen(whole)

    return strict_extract(text, spec.tag, chosen, fallback)


def choice_item(task: str, index: int, pred: str, ref: str) -> ItemRow:
    """One record of a choice task; a skipped reference still counts in LawBench's abstention denominator."""
    spec = CHOICE_TASKS[task]
    answer = spec.parse_ref(index, ref)
    if answer is None:
        return ItemRow(0, 0, 0, 1, 0, 0, 0, 0)
    right, abstain = choice_judgement(pred, spec.options, answer)
    chosen = strict_choice(pred, spec)
    # LawBench divides abstentions by every record, skipped ones included; strict by the scored ones.
    return ItemRow(right, 1, abstain, 1, int(chosen == {answer}), 1, int(not chosen), 1)


def score_choice_task(task: str, preds: Sequence[str], refs: Sequence[str]) -> TaskScore:
    return aggregate_rows([choice_item(task, i, pred, ref) for i, (pred, ref) in enumerate(zip(preds, refs))])
