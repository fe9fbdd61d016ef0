"""LexEval's multiple-choice scoring (Accuracy, F1), reproduced exactly, and a strict variant.

Official reading (``code/evaluation/process.py`` ``find_valid_substrings``): cut the output at the
first ``解析`` and then at the first ``分析``; delete ``、 . , ; ， 和``; collect every run of the
capital letters A–E, in chunks of at most five; drop chunks that repeat a letter; join the rest and
keep the first occurrence of each letter. Accuracy is string equality with the gold ``answer`` (order
counts, ``BA`` != ``AB``); F1 compares the letter set with ``set(answer)``, any character of the
answer included.

Strict reading (lawbench's fix of those quirks, see the task README): full-width letters count, a
letter inside an English word does not, an explicit ``答案…`` statement wins over echoed option
letters, otherwise the first run of options is the answer; the gold answer is read the same way
(``选项ABCD`` -> ``ABCD``) and both are compared as sets. A gold answer without any letter is no
question: it is left out of the strict means.

>>> official_letters("答案：BA。解析：A项错误")
'BA'
>>> strict_letters("答案：BA。解析：A项错误"), strict_letters("Based on DNA evidence, ＣD")
('AB', 'CD')
>>> score = score_choice("C", "选项C")
>>> score.value["accuracy"], score.value["accuracy_strict"]
(0.0, 1.0)
"""

from __future__ import annotations

import re
import unicodedata

from lawbench.metrics.score import Score

_CUT_MARKS = ("解析", "分析")  # evaluate.py keeps only the text before these, in this order
_DELETED = ("、", ".", ",", ";", "，", "和")  # removed before letters are collected (not spaces, ；, 。)
_RUN = re.compile(r"[ABCDE]{1,5}")

_OPTION_RUN = r"[A-E](?:[\s、,，;；和及/]*[A-E])*"
_STATED = re.compile(r"(?:答案|正确选项|应选)\s*(?:是|为|应为|应该是|选)?\s*[:：]?\s*("
                     + _OPTION_RUN + r")(?![A-Za-z])")
_STANDALONE = re.compile(r"(?<![A-Za-z])(" + _OPTION_RUN + r")(?![A-Za-z])")


def official_letters(output: str) -> str:
    """The letters LexEval's ``find_valid_substrings`` reads from ``output`` (first occurrences, in order)."""
    text = output
    for mark in _CUT_MARKS:
        text = text.split(mark)[0]
    for char in _DELETED:
        text = text.replace(char, "")
    chunks = [chunk for chunk in _RUN.findall(text) if len(set(chunk)) == len(chunk)]
    return "".join(dict.fromkeys("".join(chunks)))


def strict_letters(output: str) -> str:
    """The chosen options as a sorted letter string ('' when none is stated)."""
    text = unicodedata.normalize("NFKC", output)
    found = _STATED.search(text) or _STANDALONE.search(text)
    return "".join(sorted(set(re.findall("[A-E]", found.group(1))))) if found else ""


def strict_gold(answer: str | None) -> str | None:
    """The gold options as a sorted letter string, ``None`` when the answer names none.

    >>> strict_gold("选项ABCD"), strict_gold("A "), strict_gold("CD（无效合同不一定要撤销）"), strict_gold(None)
    ('ABCD', 'A', 'CD', None)
    """
    if answer is None:
        return None
    letters = sorted(set(re.findall("[A-E]", unicodedata.normalize("NFKC", answer))))
    return "".join(letters) or None


def set_f1(predicted: set, gold: set) -> float:
    """evaluate.py's per-item F1 (0 when either set is empty or nothing overlaps).

    >>> set_f1({"A", "B"}, {"A"})
    0.6666666666666666
    """
    overlap = len(predicted & gold)
    precision = overlap / len(predicted) if predicted else 0
    recall = overlap / len(gold) if gold else 0
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0


def score_choice(output: str, answer: str | None) -> Score:
    """One multiple-choice item, official and strict.

    ``value`` holds ``accuracy``, ``f1`` and ``abstained`` (no letter read), and their ``*_strict``
    forms unless the gold answer names no option. A ``None`` answer (three records of 3_5) never
    matches; LexEval's F1 would raise on it, lawbench scores it 0.
    """
    letters = official_letters(output)
    gold_chars = set(answer) if answer is not None else set()
    value = {
        "accuracy": float(letters == answer),
        "f1": float(set_f1(set(letters), gold_chars)),
        "abstained": float(not letters),
    }
    chosen, gold = strict_letters(output), strict_gold(answer)
    if gold is not None:
        value["accuracy_strict"] = float(chosen == gold)
        value["f1_strict"] = float(set_f1(set(chosen), set(gold)))
        value["abstained_strict"] = float(not chosen)
    return Score(value, answer=letters, canonical=letters,
                 explanation=f"read {letters or 'nothing'}, expected {answer}",
                 metadata={"strict_answer": chosen, "strict_gold": gold})
