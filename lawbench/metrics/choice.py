"""Read the chosen option letter(s) out of a free-text answer to a multiple-choice question.

Used by the generative (``*_gen``) multiple-choice tasks, whose models answer in prose
("答案是C。", "Answer: B", "故选ABD", "A、C、D"), and reusable as an RL reward.

Rules, in order: reasoning in ``<think>`` blocks is ignored; the last explicit statement wins
(``答案是/为/：X``, ``选X``, ``正确答案X``, ``Answer: X``); else a letter run at the very start of the
answer (``C``, ``C.``, ``ABD``); else, for a single-answer question, the only option letter that
stands alone in the text. Multi-answer letters come back sorted and de-duplicated.
:func:`score_choice` scores them against the gold letters in a :class:`~lawbench.metrics.Score` record.

Example:
    >>> extract_choice("经分析，A项错误，故本题答案为C。")
    'C'
    >>> extract_choice("正确答案：A、B和D", multi=True)
    'ABD'
    >>> extract_choice("我不确定")
    ''
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from lawbench.metrics.judgment import strip_reasoning
from lawbench.metrics.score import Score

LETTERS = "ABCD"
# Answer choices of a multi-answer question scored by exact set match: every subset of 2+ letters.
MULTI_CHOICES: tuple[str, ...] = tuple(
    "".join(c) for size in range(2, len(LETTERS) + 1) for c in itertools.combinations(LETTERS, size)
)

_RUN = r"([A-D](?:\s*(?:[、,，和与及/]|and)?\s*[A-D])*)"
_EXPLICIT = re.compile(
    r"(?:答案|正确答案|正确选项|应选|故选|选择|选项|所以选|因此选|本题选|the answer is|answer)\s*"
    r"(?:应该|应当|应|是|为|:|：|\(|（|\s)*" + _RUN + r"(?![a-z])",
    re.I,
)
_CHOOSE = re.compile(r"选\s*" + _RUN + r"(?![a-z])")
_LEADING = re.compile(r"^\W*" + _RUN + r"(?=$|[\s.．、。,，:：)）])")
_STANDALONE = re.compile(r"(?<![A-Za-z])([A-D])(?![A-Za-z])")


def _letters(run: str, multi: bool) -> str:
    found = sorted(set(re.findall(r"[A-D]", run.upper())))
    if not found:
        return ""
    return "".join(found) if multi else found[0]


def extract_choice(text: str | None, multi: bool = False) -> str:
    """The chosen letter (``multi=False``) or sorted letter set (``multi=True``); ``""`` if none."""
    text = unicodedata.normalize("NFKC", strip_reasoning(text or "")).strip()
    if not text:
        return ""
    explicit = [*_EXPLICIT.finditer(text), *_CHOOSE.finditer(text)]
    if explicit:  # the statement that comes last in the text is the conclusion
        return _letters(max(explicit, key=lambda m: m.end()).group(1), multi)
    leading = _LEADING.match(text)
    if leading:
        return _letters(leading.group(1), multi)
    if not multi:
        alone = set(_STANDALONE.findall(text))
        if len(alone) == 1:
            return alone.pop()
    return ""


def score_choice(response: str | None, gold: str) -> Score:
    """Exact match of the letter(s) read from ``response`` with ``gold`` (``"C"``, or ``"ABD"``).

    Two or more gold letters make a multi-answer question: the chosen set must equal them.

    >>> score = score_choice("正确答案：A、B和D", "ABD")
    >>> score.value, score.answer, score.explanation
    ({'exact_match': 1.0}, 'ABD', 'chose ABD, expected ABD')
    >>> score_choice("我不确定", "B").explanation
    'chose nothing, expected B'
    """
    expected = "".join(sorted(gold.strip().upper()))
    multi = len(expected) > 1
    chosen = extract_choice(response, multi=multi)
    return Score({"exact_match": float(chosen == expected)}, answer=chosen, canonical=chosen,
                 explanation=f"chose {chosen or 'nothing'}, expected {expected}", metadata={"multi": multi})
