"""3-1 fact-based article prediction: F1 between predicted and reference Criminal Law article numbers.

LawBench's procedure: references read ``法条:刑法第264、312条``. The output is split on ``、``; in
each chunk ``万元`` becomes ``元``, every ``第…款`` is deleted (non-greedy, from the first 第),
``第…条`` is replaced by what stands between 第 and 条, cn2an turns Chinese numerals into digits, and
the chunk's *first* number is its article. No number in any chunk is an abstention.

Quirks kept in ``score`` (README Q10): ``第264条第1款`` loses its article (the ``第…款`` deletion starts
at the first 第 and swallows ``264条第1``); articles separated by ``，``, ``；`` or ``和`` count as one
chunk, of which only the first number is read; any number (an amount, a year) can become an article.
``score_strict`` reads the last ``[法条]…<eoa>`` span that names an article, else the whole output,
and takes every ``<n>条`` in it (款 and 项 ignored), falling back to LawBench's chunk rule when there
is none.

>>> result = score_article_task(["[法条]刑法第264条第1款<eoa>"], ["法条:刑法第264条"])
>>> result.score, result.score_strict
(0.0, 1.0)
"""

from __future__ import annotations

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

TAG = "[法条]"
CRIMINAL_LAW_ARTICLES = 490  # LawBench asserts reference articles are within the Criminal Law's 490 articles


def gold_articles(index: int, ref: str) -> set[int]:
    if not (ref.startswith("法条:刑法第") and ref.endswith("条")):
        raise RefFormatError(index, f"reference {ref[:30]!r} is not '法条:刑法第<n>、<n>…条'")
    numbers = ref.replace("法条:刑法第", "").replace("条", "").split("、")
    for number in numbers:
        if not number.isdigit() or int(number) > CRIMINAL_LAW_ARTICLES:
            raise RefFormatError(index, f"reference {ref[:30]!r}: {number!r} is not an article number 1-490")
    return {int(number) for number in numbers}


def lawbench_articles(pred: str) -> set[int]:
    """LawBench's reading of the predicted articles.

    >>> sorted(lawbench_articles("刑法第二百六十四条、第六十七条"))
    [67, 264]
    >>> sorted(lawbench_articles("刑法第264条，第67条"))  # one chunk: only its first number
    [264]
    """
    found = set()
    for chunk in pred.split("、"):
        chunk = chunk.replace("万元", "元")
        chunk = re.sub(r"第(.*?)款", "", chunk)
        chunk = re.sub(r"第(.*?)条", lambda match: match.group(1), chunk)
        numbers = re.findall(r"\d+", cn_to_arabic(chunk))
        if numbers:
            found.add(int(numbers[0]))
    return found


def _numbered_articles(text: str) -> set[int]:
    numbers = re.findall(r"(\d+)\s*条", cn_to_arabic(normalize_digits(text)))
    return {int(n) for n in numbers} or lawbench_articles(text)


def strict_articles(pred: str) -> set[int]:
    """Every ``<n>条`` (Chinese numerals read) in the last ``[法条]`` span that names one, else in the
    whole output; LawBench's chunk rule where no ``<n>条`` occurs.

    >>> sorted(strict_articles("[法条]刑法第264条第1款，第67条第3款<eoa>"))
    [67, 264]
    """
    return strict_extract(pred, TAG, _numbered_articles)


def _f1(gold: set[int], pred: set[int]) -> float:
    overlap = len(gold & pred)
    precision = overlap / len(pred) if pred else 0
    recall = overlap / len(gold) if gold else 0
    return 2 * precision * recall / (precision + recall) if precision + recall != 0 else 0


def article_item(index: int, pred: str, ref: str) -> ItemRow:
    gold = gold_articles(index, ref)
    found, found_strict = lawbench_articles(pred), strict_articles(pred)
    return ItemRow(_f1(gold, found), 1, int(not found), 1, _f1(gold, found_strict), 1, int(not found_strict), 1)


def score_article_task(preds: Sequence[str], refs: Sequence[str]) -> TaskScore:
    return aggregate_rows([article_item(i, pred, ref) for i, (pred, ref) in enumerate(zip(preds, refs))])
