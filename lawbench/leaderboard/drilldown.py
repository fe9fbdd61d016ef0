"""Per-item records for the transition lists and the item drill-down.

Texts (prompts, outputs, targets) are stored once in a string pool and referenced by index: the
same prompt is usually shared by every stage, and stages often repeat each other's answers.

"Extracted answer": for LawShift items the judgment in the reference format (``Judgment.canonical()``:
the one the run stored, or the raw output parsed for older runs); for loglikelihood (multiple-choice)
tasks the candidate with the highest log-likelihood; otherwise the filtered response lm-eval scored.

Example:
    >>> pool = StringPool()
    >>> pool.ref("a"), pool.ref("b"), pool.ref("a"), pool.strings
    (0, 1, 0, ['a', 'b'])
"""

from __future__ import annotations

import json

from lawbench.leaderboard.runs import Run, Sample
from lawbench.leaderboard.shift import is_lawshift_sample, is_stale, raw_output, response_text, sample_judgment
from lawbench.leaderboard.stats import rnd

MAX_FIELD_CHARS = 200  # doc fields longer than this (the case facts, the prompt) are not repeated as fields
SHOWN_ELSEWHERE = ("prompt", "target")  # the drill-down shows the rendered prompt and the gold answer already


class StringPool:
    def __init__(self) -> None:
        self.strings: list[str] = []
        self._index: dict[str, int] = {}

    def ref(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.strings)
            self.strings.append(text)
        return self._index[text]


def _loglikelihoods(sample: Sample) -> list[float] | None:
    values = []
    for resp in sample.filtered_resps:
        first = resp[0] if isinstance(resp, (list, tuple)) and resp else resp
        try:
            values.append(float(first))
        except (TypeError, ValueError):
            return None
    return values or None


def output_and_answer(sample: Sample) -> tuple[str, str]:
    """What the model produced (as text) and the answer extracted from it."""
    if is_lawshift_sample(sample):
        return raw_output(sample), sample_judgment(sample).canonical()
    lls = _loglikelihoods(sample) if sample.continuations else None
    if lls is not None and len(lls) == len(sample.continuations):
        best = max(range(len(lls)), key=lambda i: (lls[i], -i))
        lines = [f"{c.strip() or repr(c)}\tloglik {ll:.4f}" for c, ll in zip(sample.continuations, lls)]
        return "\n".join(lines), sample.continuations[best].strip()
    text = response_text(sample)
    first = sample.filtered_resps[0] if sample.filtered_resps else ""
    return text, first if isinstance(first, str) else json.dumps(first, ensure_ascii=False)


def _fields(doc: dict) -> dict[str, str]:
    found = {}
    for key in sorted(doc):
        value = doc[key]
        if key in SHOWN_ELSEWHERE:
            continue
        if isinstance(value, (str, int, float, bool)) and len(str(value)) <= MAX_FIELD_CHARS:
            found[str(key)] = str(value)
    return found


def _score(value):
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return rnd(value)
    return json.dumps(value, ensure_ascii=False)[:MAX_FIELD_CHARS]


def item_view(runs: dict[str, Run], order: list[str]) -> dict:
    """``{"strings": [...], "tasks": {task: {doc_id: {gold, fields, stages: {run: {...}}}}}}``."""
    pool = StringPool()
    tasks: dict[str, dict] = {}
    names = sorted({task for run_id in order for task in runs[run_id].samples})
    for task in names:
        docs: dict[int, dict] = {}
        for run_id in order:
            by_filter = runs[run_id].samples.get(task) or {}
            samples = by_filter.get("none") or next(iter(by_filter.values()), {})
            for doc_id in sorted(samples):
                sample = samples[doc_id]
                record = docs.setdefault(doc_id, {"gold": pool.ref(sample.target), "fields": {
                    k: pool.ref(v) for k, v in _fields(sample.doc).items()}, "stages": {}})
                output, answer = output_and_answer(sample)
                entry = {"prompt": pool.ref(sample.prompt), "output": pool.ref(output), "answer": pool.ref(answer),
                         "scores": {m: _score(v) for m, v in sorted(sample.values.items())}}
                if is_lawshift_sample(sample) and sample.doc["side"] == "poisoned":
                    stale = is_stale(sample_judgment(sample), sample.doc["shift_type"])
                    if stale is not None:
                        entry["stale"] = stale
                record["stages"][run_id] = entry
        tasks[task] = {str(doc_id): docs[doc_id] for doc_id in sorted(docs)}
    return {"strings": pool.strings, "tasks": tasks}
