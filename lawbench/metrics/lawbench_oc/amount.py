"""3-7 criminal damages calculation: accuracy of the total amount.

LawBench's procedure: references read ``上文涉及到的犯罪金额:<amount>元。`` (no 千元 / 万); every
number in the output (``\\d+\\.?\\d*``) is read as a float, and the answer is right when the reference
amount is *any* of them; an output without digits is an abstention.

Quirks kept in ``score`` (README Q13): thousands separators split a number (``8,500元`` reads as 8 and
500), ``0.85万元`` reads as 0.85 and Chinese numerals are not read, while listing many numbers (or
copying the facts) can hit the amount by chance. ``score_strict`` reads the last ``[金额]…<eoa>`` span that
holds a number (else the whole output), drops thousands separators, reads Chinese numerals and
multiplies ``万`` amounts.

>>> result = score_amount_task(["[金额]8,500元<eoa>"], ["上文涉及到的犯罪金额:8500.0元。"])
>>> result.score, result.score_strict
(0.0, 1.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from lawbench.metrics.lawbench_oc.base import (
    RefFormatError,
    TaskScore,
    cn_to_arabic,
    normalize_digits,
    strict_extract,
)
from lawbench.metrics.lawbench_oc.items import ItemRow, aggregate_rows

PREFIX = "上文涉及到的犯罪金额:"
TAG = "[金额]"
_NUMBER = re.compile(r"\d+\.?\d*")
_STRICT_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万)?")


def gold_amount(index: int, ref: str) -> float:
    if not (ref.startswith(PREFIX) and ref.endswith("元。")):
        raise RefFormatError(index, f"reference {ref[:30]!r} is not '{PREFIX}<amount>元。'")
    body = ref.replace(PREFIX, "")
    if "千元" in body or "万" in body:
        raise RefFormatError(index, f"reference {ref[:30]!r}: amounts must be written in 元")
    try:
        return float(body.replace("元。", ""))
    except ValueError:
        raise RefFormatError(index, f"reference {ref[:30]!r}: the amount is not a number") from None


def lawbench_amounts(pred: str) -> list[float]:
    return [float(number) for number in _NUMBER.findall(pred)]


def strict_amounts(pred: str) -> list[float]:
    """Amounts in the answer span, with separators dropped and 万 applied.

    >>> strict_amounts("[金额]1.5万元<eoa>"), strict_amounts("共计人民币八千五百元")
    ([15000.0], [8500.0])
    """
    def amounts(text: str) -> list[float]:
        text = cn_to_arabic(normalize_digits(text))
        return [float(number) * (10000 if wan else 1) for number, wan in _STRICT_NUMBER.findall(text)]

    return strict_extract(pred, TAG, amounts)


def amount_item(index: int, pred: str, ref: str) -> ItemRow:
    gold = gold_amount(index, ref)
    amounts, strict = lawbench_amounts(pred), strict_amounts(pred)
    # float products such as 0.85 * 10000 may miss the exact value by one ulp
    right_strict = any(math.isclose(a, gold, rel_tol=1e-9, abs_tol=1e-6) for a in strict)
    return ItemRow(int(gold in amounts), 1, int(not amounts), 1, int(right_strict), 1, int(not strict), 1)


def score_amount_task(preds: Sequence[str], refs: Sequence[str]) -> TaskScore:
    return aggregate_rows([amount_item(i, pred, ref) for i, (pred, ref) in enumerate(zip(preds, refs))])
