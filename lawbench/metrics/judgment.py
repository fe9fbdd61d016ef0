"""Parse a model's criminal-judgment answer into (verdict, charge, prison term).

The reference answer format is ``<answer>罪名 | 刑期</answer>`` with the term in months, ``XT`` for
death or life imprisonment and ``<answer>不违规</answer>`` for not guilty. Real outputs stray from
it, so the parser also accepts:

* ``<think>…</think>`` reasoning before the answer (ignored, also when only ``</think>`` is present),
  and an ``<answer>`` whose closing tag was cut off (lm-eval strips the stop sequence);
* no tags at all: the last line that looks like an answer, or a plain sentence such as
  ``被告人犯盗窃罪，判处有期徒刑一年六个月``;
* the full-width bar ``｜``, full-width digits, Chinese numerals (``一年六个月`` → 18, via cn2an),
  ``X年Y个月``, ``拘役三个月``, ``一年半``;
* ``死刑`` / ``无期徒刑`` / ``XT`` → ``"XT"``; ``不违规`` / ``无罪`` / ``NV`` → not guilty;
* the LawShift ``V | n`` variant (``V`` = guilty without a named charge).

Pure functions, no model, no I/O: evaluation, rejection sampling and RL rewards all call these.

Example:
    >>> parse_judgment("<think>…</think><answer> 容留他人吸毒罪 ｜ 有期徒刑一年六个月 </answer>")
    Judgment(verdict='guilty', charge='容留他人吸毒', term=18, source='answer_tag')
    >>> parse_judgment("<answer>不违规</answer>").verdict
    'not_guilty'
    >>> parse_judgment("V | XT").term
    'XT'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal, Union

Term = Union[int, Literal["XT"], None]
Verdict = Literal["guilty", "not_guilty"]

XT = "XT"  # death penalty or life imprisonment, as LawShift writes it
LIFE_MONTHS, DEATH_MONTHS = 10000, 10001  # how LawShift stores life imprisonment / death in prison_time


@dataclass(frozen=True)
class Judgment:
    """What the parser understood. ``verdict is None`` means the output could not be parsed."""

    verdict: Verdict | None
    charge: str | None = None  # normalised charge name (no trailing 罪), None if not stated
    term: Term = None  # months, "XT", or None when not stated
    source: str = "none"  # where the answer came from: answer_tag | untagged | none | canonical (stored)
    answer_text: str | None = field(default=None, repr=False, compare=False)

    @property
    def parsed(self) -> bool:
        return self.verdict is not None

    @property
    def not_guilty(self) -> bool:
        return self.verdict == "not_guilty"

    @property
    def complete(self) -> bool:
        """A whole answer: not guilty, or guilty with a prison term (the charge may be ``V``)."""
        return self.not_guilty or (self.verdict == "guilty" and self.term is not None)

    def canonical(self) -> str:
        """The answer re-written in the reference format (``""`` when unparsed)."""
        if self.verdict is None:
            return ""
        if self.not_guilty:
            return "不违规"
        return f"{self.charge or 'V'} | {'' if self.term is None else self.term}".rstrip(" |")

    @classmethod
    def from_canonical(cls, text: str) -> Judgment | None:
        """The judgment a :meth:`canonical` string stands for; ``None`` when ``text`` is not one.

        Reads back an answer a run stored, without the free-text parser: an untagged ``盗窃`` is no
        answer to :func:`parse_judgment`, but it is the canonical form of a guilty judgment without a
        term. ``source`` is ``"canonical"``.

        >>> Judgment.from_canonical("盗窃 | 18")
        Judgment(verdict='guilty', charge='盗窃', term=18, source='canonical')
        >>> Judgment.from_canonical("不违规").not_guilty, Judgment.from_canonical("").parsed
        (True, False)
        >>> Judgment.from_canonical("<answer>盗窃罪 | 18</answer>") is None
        True
        """
        if text in ("", "不违规"):
            return cls("not_guilty" if text else None, source="canonical")
        charge, bar, term_text = text.partition(" | ")
        if bar and term_text != XT and not (term_text.isascii() and term_text.isdigit()):
            return None
        term = (XT if term_text == XT else int(term_text)) if bar else None
        judgment = cls("guilty", None if charge == "V" else charge, term, "canonical")
        # Only the exact form canonical() writes, with a normalised charge name that is no verdict, is one.
        exact = judgment.canonical() == text and charge != "不违规" and normalize_charge(charge) == charge
        return judgment if exact else None


UNPARSED = Judgment(verdict=None)

# --------------------------------------------------------------------------- regexes
_THINK_END = re.compile(r"</\s*think\s*>", re.I)
_THINK_START = re.compile(r"<\s*think\s*>", re.I)
_ANSWER_FULL = re.compile(r"<\s*answer\s*>(.*?)<\s*/\s*answer\s*>", re.I | re.S)
_ANSWER_OPEN = re.compile(r"<\s*answer\s*>", re.I)
_NOT_GUILTY = re.compile(r"^(?:NV|不违规|无罪|不构成犯罪|不构成任何犯罪|不违法|not\s*guilty)\b", re.I)
_NOT_GUILTY_ANYWHERE = re.compile(r"不违规|宣告无罪|无罪|不构成犯罪|不构成.{0,12}罪")
_V_TOKEN = re.compile(r"^V$", re.I)
_XT_WORDS = re.compile(r"XT|死刑|无期")
_EXEMPT = re.compile(r"免予刑事处罚|免于刑事处罚|免除处罚|免予处罚")
_YEARS = re.compile(r"(\d+(?:\.\d+)?)\s*年(半)?")
_MONTHS = re.compile(r"(\d+(?:\.\d+)?)\s*个?月")
_HALF_YEAR = re.compile(r"(?<!年)半年")
_BARE_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
# A term expression inside free text: keyword + amount, or death/life.
_TERM_IN_TEXT = re.compile(
    r"(死刑|无期徒刑|无期|(?:有期徒刑|拘役|管制)?\s*[\d零〇一二两三四五六七八九十百]+(?:\.\d+)?\s*年(?:半|零?[\d零〇一二两三四五六七八九十]+\s*个?月)?"
    r"|(?:有期徒刑|拘役|管制)?\s*[\d零〇一二两三四五六七八九十百]+\s*个?月)"
)
_CHARGE_IN_TEXT = re.compile(r"(?:犯|构成|罪名[:：]?\s*)([\u4e00-\u9fff、]{2,24}?)罪")
_STRIP_CHARS = " \t\r\n'\"“”‘’「」『』【】[]()（）<>《》:：.。,，;；!！、*`"
_LABEL_PREFIX = re.compile(r"^(?:罪名|判决结果|判决|法律判决结果|答案|结果|answer)\s*[:：]\s*", re.I)


def _nfkc(text: str) -> str:
    # Full-width bar, digits, letters and spaces become their ASCII forms.
    return unicodedata.normalize("NFKC", text)


def strip_reasoning(response: str) -> str:
    """Drop ``<think>`` reasoning: everything up to the last ``</think>``, or an unclosed block's tail."""
    if _THINK_END.search(response):
        response = _THINK_END.split(response)[-1]
    start = _THINK_START.search(response)
    if start:  # reasoning that never closed (cut at max tokens): it holds no final answer
        response = response[: start.start()]
    return response


def extract_answer_span(response: str) -> tuple[str | None, str]:
    """The text that holds the answer and where it came from (``answer_tag`` / ``untagged``)."""
    text = strip_reasoning(response or "")
    tagged = _ANSWER_FULL.findall(text)
    if tagged:
        return tagged[-1], "answer_tag"
    opened = list(_ANSWER_OPEN.finditer(text))
    if opened:  # closing tag cut off, e.g. by a "</answer>" stop sequence
        return text[opened[-1].end() :], "answer_tag"
    text = text.strip()
    return (text or None), "untagged"


def normalize_charge(text: str) -> str | None:
    """Canonical charge name: no spaces/quotes/brackets, no leading 犯 or label, no trailing 罪.

    >>> normalize_charge(" 【容留他人吸毒罪】")
    '容留他人吸毒'
    >>> normalize_charge("犯盗窃罪") == normalize_charge("盗窃")
    True
    """
    text = _nfkc(text or "")
    text = re.sub(r"\s+", "", text).strip(_STRIP_CHARS)
    text = _LABEL_PREFIX.sub("", text).strip(_STRIP_CHARS)
    text = re.sub(r"^(?:被告人\S{0,6}?)?(?:犯|构成)", "", text)
    text = re.sub(r"罪$", "", text)
    return text or None


def parse_term(text: str) -> Term:
    """Prison term in months, ``"XT"`` for death/life, or ``None`` if no term is stated.

    >>> parse_term("有期徒刑一年六个月"), parse_term("7"), parse_term("无期徒刑"), parse_term("一年半")
    (18, 7, 'XT', 18)
    """
    import cn2an  # imported lazily: it is only needed when a term is present

    text = _nfkc(text or "").strip().strip(_STRIP_CHARS)
    if not text:
        return None
    if _XT_WORDS.search(text.upper()):
        return XT
    if _EXEMPT.search(text):
        return 0
    try:
        text = cn2an.transform(text, "cn2an")
    except Exception:  # cn2an rejects a few odd strings; fall back to the Arabic digits already there
        pass
    text = re.sub(r"\s+", "", text)
    if _BARE_NUMBER.match(text):
        return round(float(text))
    years = _YEARS.search(text)
    months = 0.0
    found = False
    if years:
        months += float(years.group(1)) * 12 + (6 if years.group(2) else 0)
        found = True
        rest = text[years.end() :]
    else:
        rest = text
    month_match = _MONTHS.search(rest)
    if month_match:
        months += float(month_match.group(1))
        found = True
    if not found and _HALF_YEAR.search(text):
        return 6
    if not found:
        leading = re.match(r"^(\d+(?:\.\d+)?)", text)  # "7（月）" style leftovers
        return round(float(leading.group(1))) if leading else None
    return round(months)


def _parse_body(body: str, source: str) -> Judgment:
    raw = body
    body = _nfkc(body).strip().strip(_STRIP_CHARS.replace("|", ""))
    body = _LABEL_PREFIX.sub("", body).strip()
    if not body:
        return UNPARSED
    if _NOT_GUILTY.match(body):
        return Judgment("not_guilty", source=source, answer_text=raw)
    parts = [part.strip() for part in body.split("|")]
    if len(parts) >= 2:
        left, right = parts[0], parts[1]
        if _NOT_GUILTY.match(left):
            return Judgment("not_guilty", source=source, answer_text=raw)
        charge = None if _V_TOKEN.match(left.strip(_STRIP_CHARS)) else normalize_charge(left)
        return Judgment("guilty", charge, parse_term(right), source, raw)
    single = parts[0]
    if _V_TOKEN.match(single.strip(_STRIP_CHARS)):
        return Judgment("guilty", None, None, source, raw)
    term = parse_term(single) if (_BARE_NUMBER.match(single) or _XT_WORDS.fullmatch(single.upper())) else None
    if term is not None:
        return Judgment("guilty", None, term, source, raw)
    return _parse_sentence(single, source, raw)


def _parse_sentence(text: str, source: str, raw: str) -> Judgment:
    """Free text: ``…犯盗窃罪，判处有期徒刑一年六个月`` or ``盗窃，18个月``."""
    term_match = _TERM_IN_TEXT.search(text)
    charge_match = _CHARGE_IN_TEXT.search(text)
    negated = bool(_NOT_GUILTY_ANYWHERE.search(text))
    if charge_match and text[max(0, charge_match.start() - 1) : charge_match.start()] == "不":
        charge_match = None  # "不构成盗窃罪" negates the charge
    if negated and not charge_match:
        return Judgment("not_guilty", source=source, answer_text=raw)
    if not charge_match and not term_match:
        short = normalize_charge(text)
        # A short bare phrase such as "容留他人吸毒" inside answer tags is a charge without a term.
        if source == "answer_tag" and short and len(short) <= 24 and re.fullmatch(r"[\u4e00-\u9fff、]+", short):
            return Judgment("guilty", short, None, source, raw)
        return UNPARSED
    if charge_match:
        charge = normalize_charge(charge_match.group(1))
    else:
        # "盗窃，有期徒刑6个月": whatever precedes the term, minus connecting words, names the charge.
        head = text[: term_match.start()].strip(_STRIP_CHARS)
        head = re.sub(r"(?:判处|处|刑期|应判|判)[:：]?$", "", head).strip(_STRIP_CHARS)
        charge = normalize_charge(head) if head and len(head) <= 24 and "|" not in head else None
    term = parse_term(term_match.group(1)) if term_match else None
    return Judgment("guilty", charge, term, source, raw)


def parse_judgment(response: str | None) -> Judgment:
    """Parse one model output; never raises. See the module docstring for the accepted forms."""
    span, source = extract_answer_span(response or "")
    if span is None:
        return UNPARSED
    if source == "answer_tag":
        return _parse_body(span, source)
    # Untagged: prefer the last line that is shaped like an answer ("罪名 | 刑期", "NV", "V | 7").
    lines = [line.strip() for line in _nfkc(span).splitlines() if line.strip()]
    for line in reversed(lines):
        if "|" in line or _NOT_GUILTY.match(line.strip(_STRIP_CHARS)):
            candidate = _parse_body(line, source)
            if candidate.parsed:
                return candidate
    for line in reversed(lines):
        candidate = _parse_sentence(line, source, line)
        if candidate.parsed:
            return candidate
    return UNPARSED
