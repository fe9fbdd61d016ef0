"""Building blocks shared by the LawBench task scorers.

Everything here mirrors a helper of LawBench's ``evaluation/utils`` (set F1, the multiple-choice
judge, the CAIL reading-comprehension character F1, cn2an number conversion) and is rewritten for
lawbench; behaviour, including LawBench's edge cases, is kept identical because published scores
depend on it. The ``*_strict`` helpers are lawbench's corrections, used only by ``score_strict``.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

NAN = float("nan")
T = TypeVar("T")
EOA = "<eoa>"


class RefFormatError(ValueError):
    """A reference (``refr``) that LawBench's code would reject (it asserts); ``index`` is the record."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class TaskScore:
    """What one task scorer returns: LawBench's numbers and lawbench's corrected ones.

    ``n_scored`` is how many records enter the score's mean (LawBench skips a few kinds of reference);
    ``abstention_rate`` keeps LawBench's denominator (all records) and its omissions (0 where its
    evaluation reports none), ``abstention_rate_strict`` is the real share over scored records.
    ``details``: further numbers a task reports (2-1: its edit counts, precision and recall), added
    to the result as they are.
    """

    score: float
    abstention_rate: float
    score_strict: float
    abstention_rate_strict: float
    n_scored: int
    details: dict = field(default_factory=dict)


def mean(values: Sequence[float]) -> float:
    """``sum / len`` in list order, exactly as LawBench averages (no fsum: the last bits must match)."""
    return sum(values) / len(values) if values else NAN


def ratio(count: int, total: int) -> float:
    return count / total if total else NAN


def set_f1(first: set, second: set) -> float:
    """F1 between two sets (symmetric; LawBench calls it with its arguments in either order)."""
    overlap = len(first & second)
    precision = overlap / len(first) if first else 0
    recall = overlap / len(second) if second else 0
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0


def choice_judgement(text: str, options: Iterable[str], answer: str) -> tuple[int, int]:
    """LawBench's multiple-choice rule: ``(correct, abstained)``.

    An option counts as chosen when it occurs *anywhere* in the text; the answer is correct only when
    it is the sole option chosen, and no option at all is an abstention.

    >>> choice_judgement("[正确答案]B<eoa>", "ABCD", "B")
    (1, 0)
    >>> choice_judgement("B，因为A项错误", "ABCD", "B")  # a second letter anywhere: wrong
    (0, 0)
    """
    chosen = {option for option in options if option in text}
    if not chosen:
        return 0, 1
    return int(chosen == {answer}), 0


def _rc_chars(text: str) -> list[str]:
    # CAIL's reading-comprehension normaliser: lower-case, keep only letters and digits (CJK
    # characters are letters), one token per character.
    return [ch for ch in text.lower() if ch.isdigit() or ch.isalpha()] if text else []


def char_f1(gold: str, pred: str) -> float:
    """CAIL2019/2021 character-level F1 (``CJRCEvaluator.compute_f1``), used by 2-5, 2-6, 2-10.

    >>> round(char_f1("二轮摩托车", "摩托车"), 4)
    0.75
    >>> char_f1("", "")  # both empty: they agree
    1
    """
    gold_chars, pred_chars = _rc_chars(gold), _rc_chars(pred)
    if not gold_chars or not pred_chars:
        return int(gold_chars == pred_chars)
    same = sum((Counter(gold_chars) & Counter(pred_chars)).values())
    if same == 0:
        return 0
    precision, recall = same / len(pred_chars), same / len(gold_chars)
    return 2 * precision * recall / (precision + recall)


def cn_to_arabic(text: str) -> str:
    """``cn2an.transform(text, "cn2an")`` (Chinese numerals to digits) without its console warnings.

    >>> cn_to_arabic("有期徒刑一年六个月")
    '有期徒刑1年6个月'
    """
    import cn2an

    with warnings.catch_warnings():
        # cn2an warns (does not raise) on number-like fragments it cannot read and leaves them as is.
        warnings.simplefilter("ignore")
        return cn2an.transform(text, "cn2an")


def tag_spans(text: str, tag: str | None) -> list[str]:
    """The texts inside each ``tag … <eoa>`` pair the instructions asked for, last first.

    A span without ``<eoa>`` ends at the line end. Last first, because a model that restates the
    instruction (``写在[正确答案]和<eoa>之间``) or its example puts its own answer after it.

    >>> tag_spans("写在[正确答案]和<eoa>之间。[正确答案]B<eoa>", "[正确答案]")
    ['B', '和']
    """
    if not tag:
        return []
    spans = []
    for part in text.split(tag)[1:]:
        end = part.find(EOA)
        spans.append(part[:end] if end >= 0 else part.split("\n", 1)[0])
    return spans[::-1]


def strict_extract(
    text: str, tag: str | None, extract: Callable[[str], T], fallback: Callable[[str], T] | None = None
) -> T:
    """Strict scoring's reading of an output: ``extract`` on the last tag span that yields an answer.

    When no span yields one, ``fallback`` (default ``extract``) reads the whole output.

    >>> strict_extract("写在[正确答案]和<eoa>之间。[正确答案]B<eoa>", "[正确答案]", lambda s: set(s) & set("ABCD"))
    {'B'}
    """
    for span in tag_spans(text, tag):
        found = extract(span)
        if found:
            return found
    return (fallback or extract)(text)


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def normalize_digits(text: str) -> str:
    """ASCII thousands separators dropped (``8,500`` → ``8500``), then NFKC (full-width digits to ASCII).

    Separators go first: a full-width ``，`` is a clause break in Chinese (``8500，500元用于…``), and NFKC
    would turn it into an ASCII comma.

    >>> normalize_digits("8,500元，１２个月")
    '8500元,12个月'
    """
    return unicodedata.normalize("NFKC", _THOUSANDS.sub("", text))

