"""ChERRANT's span-based correction score: hypothesis edits against reference edits, F0.5.

Per sentence (one hypothesis annotator, one reference annotator, so no best-pair search is left):

* an unannotatable reference (``NA``) skips the sentence;
* a hypothesis edit found among the reference edits is correct once per reference occurrence,
  otherwise wrong once per hypothesis occurrence; a reference edit the hypothesis lacks is missed
  once per occurrence; no-op edits count as nothing (but a hypothesis ``NA`` against a no-op
  reference shares its key and counts as correct).

Corpus precision, recall and F0.5 sum the counts over sentences; precision is 1.0 without wrong
edits and recall 1.0 without missed ones; each is rounded to four decimals, as ChERRANT prints them.

>>> counts = compare_sentence({(1, 2, "述"): ["S"], (5, 6, "事"): ["S"]}, {(1, 2, "述"): ["S"]})
>>> counts, f_score(*counts)
((1, 1, 0), (0.5, 1.0, 0.5556))
"""

from __future__ import annotations

from lawbench.metrics.cherrant.annotate import NA, NOOP, Edits

BETA = 0.5


def compare_sentence(hypothesis: Edits, reference: Edits) -> tuple[int, int, int]:
    """``(correct, wrong, missed)`` of one sentence."""
    if len(reference) == 1 and next(iter(reference.values()))[0] == NA:
        return 0, 0, 0
    correct = wrong = missed = 0
    for key, kinds in hypothesis.items():
        if kinds[0] == NOOP:
            continue
        if key in reference:
            correct += len(reference[key])
        else:
            wrong += len(kinds)
    for key, kinds in reference.items():
        if kinds[0] != NOOP and key not in hypothesis:
            missed += len(kinds)
    return correct, wrong, missed


def f_score(correct: int, wrong: int, missed: int, beta: float = BETA, digits: int | None = 4):
    """``(precision, recall, F_beta)``, each rounded to ``digits`` (``None``: unrounded)."""
    precision = correct / (correct + wrong) if wrong else 1.0
    recall = correct / (correct + missed) if missed else 1.0
    f = (1 + beta**2) * precision * recall / (beta**2 * precision + recall) if precision + recall else 0.0
    if digits is None:
        return precision, recall, f
    return round(precision, digits), round(recall, digits), round(f, digits)
