"""Prison-term prediction, 3-4 (without articles) and 3-5 (with articles): normalised log distance.

LawBench's procedure: references read ``刑期:<n>个月``; those mentioning 死刑 or 无期 are skipped (no
numeric term), but still count in the abstention denominator. The output goes through cn2an (Chinese
numerals to digits); the predicted term is the first ``<n>个月``, else the first ``<n>月``, else the
first ``<n>年`` × 12; no number is an abstention, scored as the maximum distance ``ln 216``. Per
record ``d = |ln(gold + 1) − ln(pred + 1)|``; the task score is ``(ln 216 − mean d) / ln 216``
(not clipped: a wild enough prediction pushes it below 0).

Quirks kept in ``score`` (README Q11, Q12): ``1年6个月`` reads as 6 months (months win over years); a date such
as ``2016年3月`` reads as 3 months; ``半年`` is an abstention. ``score_strict`` reads the first term in
the last ``[刑期]…<eoa>`` span that holds one, else the last term the output states; it ignores dates
and probation (``缓刑二年``), combines years and months (``1年6个月`` = 18, ``1年半`` = 18, ``半年`` =
6), and divides abstentions by the records it scores.

>>> result = score_term_task(["[刑期]一年六个月<eoa>"], ["刑期:18个月"])
>>> round(result.score, 4), result.score_strict
(0.8142, 1.0)
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

MAX_DISTANCE = math.log(216)  # LawBench's cap and normaliser: ln(215 months + 1)
TAG = "[刑期]"
_PROBATION = re.compile(r"缓刑\s*(?:\d+年)?(?:零|又)?(?:\d+个?月|半)?")
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


def _terms(text: str) -> list[int]:
    """Every term in ``text``, in order: years and months combined, dates and probation left out."""
    text = cn_to_arabic(normalize_digits(text))
    text = _PROBATION.sub(" ", _DATE.sub(" ", text))
    terms = []
    for years, months, half_after_years, only_months, half_year in _TERM.findall(text):
        if half_year:
            terms.append(6)
        elif only_months:
            terms.append(int(only_months))
        else:
            terms.append(int(years) * 12 + (int(months) if months else 6 if half_after_years else 0))
    return terms


def strict_months(pred: str) -> int | None:
    """The term in the last ``[刑期]`` span that holds one, else the *last* term the output states.

    Outputs that reason first quote the statute's range (``处三年以下有期徒刑``) and conclude with their
    answer, hence the last term; inside the tag the first one is the answer.

    >>> strict_months("[刑期]1年6个月<eoa>"), strict_months("2016年3月作案，处三年以下有期徒刑。预测刑期为八个月")
    (18, 8)
    >>> strict_months("判处有期徒刑一年半，缓刑二年"), strict_months("无期徒刑")
    (18, None)
    """
    terms = strict_extract(pred, TAG, lambda span: _terms(span)[:1], lambda whole: _terms(whole)[-1:])
    return terms[0] if terms else None


def _distance(gold: int, pred: int | None) -> float:
    return abs(math.log(gold + 1) - math.log(pred + 1)) if pred is not None else MAX_DISTANCE


def normalised(mean_distance):
    """The task score from the mean distance (a float, or an array of resampled means)."""
    return (MAX_DISTANCE - mean_distance) / MAX_DISTANCE


def term_item(index: int, pred: str, ref: str) -> ItemRow:
    """One record: its distances; a death / life reference is skipped but counts in LawBench's
    abstention denominator (strict divides by the records it scores)."""
    gold = gold_months(index, ref)
    if gold is None:
        return ItemRow(0, 0, 0, 1, 0, 0, 0, 0)
    months, months_strict = lawbench_months(pred), strict_months(pred)
    return ItemRow(_distance(gold, months), 1, int(months is None), 1,
                   _distance(gold, months_strict), 1, int(months_strict is None), 1)


def score_term_task(preds: Sequence[str], refs: Sequence[str]) -> TaskScore:
    return aggregate_rows([term_item(i, pred, ref) for i, (pred, ref) in enumerate(zip(preds, refs))], normalised)
