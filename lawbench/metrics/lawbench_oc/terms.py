"""Prison-term prediction, 3-4 (without articles) and 3-5 (with articles): normalised log distance.

LawBench's procedure: references read ``刑期:<n>个月``; those mentioning 死刑 or 无期 are skipped (no
numeric term), but still count in the abstention denominator. The output goes through cn2an (Chinese
numerals to digits); the predicted term is the first ``<n>个月``, else the first ``<n>月``, else the
first ``<n>年`` × 12; no number is an abstention, scored as the maximum distance ``ln 216``. Per
record ``d = |ln(gold + 1) − ln(pred + 1)|``; the task score is ``(ln 216 − mean d) / ln 216``
(not clipped: a wild enough prediction pushes it below 0).

Quirks kept in ``score`` (README): ``1年6个月`` reads as 6 months (months win over years); a date such
as ``2016年3月`` reads as 3 months; ``半年`` is an abstention. ``score_strict`` reads the span inside
``[刑期]…<eoa>`` when present, ignores dates, combines years and months (``1年6个月`` = 18, ``1年半``
= 18, ``半年`` = 6), and divides abstentions by the records it scores.

>>> result = score_term_task(["[刑期]一年六个月<eoa>"], ["刑期:18个月"])
>>> round(result.score, 4), result.score_strict
(0.8062, 1.0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from lawbench.metrics.lawbench_oc.base import RefFormatError, TaskScore, answer_span, cn_to_arabic, mean, normalize_digits, ratio

MAX_DISTANCE = math.log(216)  # LawBench's cap and normaliser: ln(215 months + 1)
TAG = "[刑期]"
_DATE = re.compile(r"\d{4}年(?:\d+月(?:\d+日)?)?|\d+月\d+日")  # 2016年3月28日, 3月28日; not 1年6月
_TERM = re.compile(r"(\d+)年(?:零|又)?(?:(\d+)个?月|(半))?|(\d+)个?月|(半)年")


def gold_months(index: int, ref: str) -> int | None:
    """The reference term in months; ``None`` for death / life references (LawBench skips them)."""
    if "死刑" in ref or "无期" in ref:
        return None
    if not (ref.startswith("刑期:") and ref.endswith("个月")):
        raise RefFormatError(index, f"reference {ref[:30]!r} is not '刑期:<n>个月'")
    try:
        return int(ref.replace("刑期:", "").replace("个月", ""))
    except ValueError:
        raise RefFormatError(index, f"reference {ref[:30]!r}: the term is not a whole number of months") from None


def lawbench_months(pred: str) -> int | None:
    """LawBench's reading of a predicted term (``None``: no number found, an abstention).

    >>> lawbench_months("1年6个月"), lawbench_months("判处有期徒刑两年"), lawbench_months("无期徒刑")
    (6, 24, None)
    """
    text = cn_to_arabic(pred)
    months = [int(n) for n in re.findall(r"(\d+)个月", text)] + [int(n) for n in re.findall(r"(\d+)月", text)]
    if months:
        return months[0]
    years = [int(n) for n in re.findall(r"(\d+)年", text)]
    return years[0] * 12 if years else None


def strict_months(pred: str) -> int | None:
    """The first term in the answer span, years and months combined, dates ignored.

    >>> strict_months("[刑期]1年6个月<eoa>"), strict_months("2016年3月作案，判处有期徒刑八个月"), strict_months("一年半")
    (18, 8, 18)
    """
    text = _DATE.sub(" ", cn_to_arabic(normalize_digits(answer_span(pred, TAG))))
    found = _TERM.search(text)
    if found is None:
        return None
    years, months, half_after_years, only_months, half_year = found.groups()
    if half_year:
        return 6
    if only_months:
        return int(only_months)
    return int(years) * 12 + (int(months) if months else 6 if half_after_years else 0)


def _distance(gold: int, pred: int | None) -> float:
    return abs(math.log(gold + 1) - math.log(pred + 1)) if pred is not None else MAX_DISTANCE


def _normalised(distances: list[float]) -> float:
    return (MAX_DISTANCE - mean(distances)) / MAX_DISTANCE


def score_term_task(preds: Sequence[str], refs: Sequence[str]) -> TaskScore:
    distances, strict_distances = [], []
    abstained = abstained_strict = 0
    for index, (pred, ref) in enumerate(zip(preds, refs)):
        gold = gold_months(index, ref)
        if gold is None:
            continue
        months = lawbench_months(pred)
        abstained += months is None
        distances.append(_distance(gold, months))
        months = strict_months(pred)
        abstained_strict += months is None
        strict_distances.append(_distance(gold, months))
    return TaskScore(_normalised(distances), ratio(abstained, len(preds)), _normalised(strict_distances),
                     ratio(abstained_strict, len(strict_distances)), len(distances))
