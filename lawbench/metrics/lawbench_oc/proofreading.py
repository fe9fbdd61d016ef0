"""2-1 (文书校对, document proofreading): F0.5 of ChERRANT character edits, as LawBench's ``wsjd.py``.

For each record LawBench builds three sentences and lets ChERRANT annotate origin → reference (the
gold edits) and origin → prediction (the hypothesis edits):

* origin: cut from the *prompt*, from after ``句子：\\n`` to the next line break (tabs dropped), so a
  chat template's tag that follows on the same line (``<|im_end|>``) stays in it — and in the gold;
* prediction: line breaks and tabs dropped; more than 5 characters longer than the raw reference →
  cut to the reference's length + 5; empty → ``无内容``;
* reference: line breaks and tabs dropped.

ChERRANT then drops all whitespace and converts prediction and reference (not the origin) from
traditional to simplified characters (OpenCC ``t2s``). A prediction or reference that is empty after
that is scored as ``无``: ChERRANT fails on it and treats the failure like a timeout.

``score`` is ChERRANT's F0.5 (rounded to 4 decimals). ``score_strict`` is the same F0.5 from the same
counts without the rounding of precision and recall. LawBench reports no abstentions: both rates are
0 (``abstention_rate_strict`` is the share of empty predictions).

Not reproduced: ChERRANT gives up on a pair whose annotation takes over 10 seconds and scores ``无``
in its place (machine-dependent); lawbench annotates every pair. A carriage return in a text splits
ChERRANT's line-based files and its run fails; lawbench drops it like other whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from lawbench.metrics.lawbench_oc.base import RefFormatError, TaskScore

EMPTY_OUTPUT = "无内容"  # wsjd.py's stand-in for an empty prediction
FAILED_PAIR = "无"  # ChERRANT's stand-in for a target it could not annotate
ORIGIN_MARK = "句子：\n"
MAX_EXTRA_CHARS = 5
_BREAKS = re.compile(r"\n|\t")


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def origin_of(prompt: str | list) -> str:
    """The sentence to correct, as ``wsjd.py`` cuts it from the prompt (OpenCompass's chat-format
    prompts are lists: the first turn's ``prompt``).

    >>> origin_of("纠正……句子：\\n上诉证据合法。<|im_end|>\\n<|im_start|>assistant")
    '上诉证据合法。<|im_end|>'
    """
    if isinstance(prompt, list):
        first = prompt[0] if prompt else None
        prompt = first.get("prompt") if isinstance(first, dict) else None
    if not isinstance(prompt, str):
        raise ValueError("expected the prompt text (or a list whose first turn has a 'prompt')")
    start = prompt.find(ORIGIN_MARK)
    if start < 0:
        raise ValueError(f"the prompt has no '{ORIGIN_MARK.strip()}' followed by a line break")
    return _BREAKS.sub("", prompt[start + len(ORIGIN_MARK):].split("\n")[0])


def clean_prediction(prediction: str, reference: str) -> str:
    """``wsjd.py``'s clean-up of an output.

    >>> clean_prediction("上述证据合法。\\n以上为修改后的句子", "上述证据合法。")
    '上述证据合法。以上为修改'
    >>> clean_prediction("\\n", "上述证据合法。")
    '无内容'
    """
    prediction = _BREAKS.sub("", prediction)
    if len(prediction) - len(reference) > MAX_EXTRA_CHARS:
        prediction = prediction[: len(reference) + MAX_EXTRA_CHARS]
    return prediction or EMPTY_OUTPUT


def _squeeze(text: str) -> str:
    # ChERRANT drops all whitespace ("\r" included: see the module docstring).
    return "".join(text.split())


def cherrant_target(text: str) -> str:
    """A prediction or reference as ChERRANT annotates it: no whitespace, simplified characters."""
    squeezed = _squeeze(text)
    return _t2s().convert(squeezed) if squeezed else FAILED_PAIR


def _origin(index: int, prompt: str | list) -> str:
    try:
        origin = _squeeze(origin_of(prompt))
    except ValueError as err:
        raise RefFormatError(index, f"origin_prompt: {err}") from None
    if not origin:
        raise RefFormatError(index, "origin_prompt: the sentence after '句子：' is empty")
    return origin


@lru_cache(maxsize=4)
def _costs(folder: str):
    from lawbench.metrics.cherrant import SubstitutionCosts, load_tables

    return SubstitutionCosts(load_tables(Path(folder).parent))


@lru_cache(maxsize=16384)
def _annotation(folder: str, source: str, target: str):
    # Cached: references recur across the files of one run (every model answers the same sentences).
    from lawbench.metrics.cherrant import annotate

    return annotate(source, target, _costs(folder))


def score_proofreading_task(preds: Sequence[str], refs: Sequence[str], prompts: Sequence[str | list],
                            data_dir: str | None = None) -> TaskScore:
    """Score 2-1: ``preds``, ``refs`` and the ``prompts`` they answer (the origins are cut from them)."""
    from lawbench.metrics.cherrant import compare_sentence, f_score
    from lawbench.metrics.cherrant.resources import tables_dir

    origins = [_origin(index, prompt) for index, prompt in enumerate(prompts)]  # bad input first
    folder = str(tables_dir(data_dir).resolve())
    totals = [0, 0, 0]
    empty = 0
    for pred, ref, origin in zip(preds, refs, origins):
        empty += not _BREAKS.sub("", pred)
        hypothesis = _annotation(folder, origin, cherrant_target(clean_prediction(pred, ref)))
        gold = _annotation(folder, origin, cherrant_target(_BREAKS.sub("", ref)))
        for slot, count in enumerate(compare_sentence(hypothesis, gold)):
            totals[slot] += count
    precision, recall, score = f_score(*totals)
    strict = f_score(*totals, digits=None)[2]
    details = {"tp": totals[0], "fp": totals[1], "fn": totals[2], "precision": precision, "recall": recall}
    return TaskScore(score, 0.0, strict, empty / len(preds) if preds else float("nan"), len(preds), details)
