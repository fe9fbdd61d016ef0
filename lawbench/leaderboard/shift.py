"""The statute-shift (LawShift) view: original vs poisoned accuracy, shift gap, 2x2 table, stale law.

Items are re-scored with the shared record scorer (:func:`lawbench.metrics.score_judgment`), so the
view does not depend on the metrics an older lawbench stored. The judgment scored is the canonical
answer the run stored (:func:`sample_judgment`), or, for runs from before samples kept it, the raw
output parsed again. Original and poisoned files are index-aligned: a *unit* is
one case (scenario, idx) seen on both sides, and every number here is computed over units, with a
bootstrap over units for 95% CIs.

**Stale-law rate.** A poisoned-side answer *follows the old statute* when it passes the verdict check
that the original statute's scenario type implies (``verdict_correct(answer, "original", type)``) and
fails the changed statute's (``verdict_correct(answer, "poisoned", type)``):

====  =====================================================  ================================
type  stale answer on the poisoned side                        why
====  =====================================================  ================================
NV    predicts a crime                                        the act is no longer a crime
TU    a numeric term in [36, 120) months                       the range moved up to >= 120
TD    a numeric term in (36, 120] months                       the range moved down to <= 36
XT    a numeric term in [36, 120] months                       now death / life
NX    death / life (``XT``)                                    no longer death / life
V     (not defined; reported as n/a)                          both statutes expect a crime
====  =====================================================  ================================

The rate is stale answers / all poisoned-side answers of those scenarios (unparsed answers count as
not stale), pooled over NV, TU, TD, XT and NX. For V scenarios both checks expect a crime, so no
answer can pass one and fail the other: the labels cannot tell an answer that applies the old text
from one that applies the new, and V scenarios are left out of the rate (their poisoned-side errors
show up in the 2x2 table instead).

Example:
    >>> from lawbench.metrics import parse_judgment
    >>> crime_24, not_guilty = parse_judgment("<answer>盗窃 | 24</answer>"), parse_judgment("<answer>不违规</answer>")
    >>> is_stale(crime_24, "NV"), is_stale(not_guilty, "NV")
    (True, False)
    >>> is_stale(parse_judgment("<answer>盗窃 | 60</answer>"), "TU"), is_stale(crime_24, "V")
    (True, None)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from lawbench.leaderboard.runs import Run, Sample
from lawbench.leaderboard.stats import bootstrap_means, change_summary, ci95, rnd, stable_seed, wilson95
from lawbench.metrics import Judgment, parse_judgment, score_judgment, verdict_correct
from lawbench.tasks.primary import family_primary

SHIFT_PRIMARY = family_primary("lawshift")  # verdict_acc: the view opens on it, as every other view does
METRICS = ("verdict_acc", "charge_acc", "term_acc", "term_score", "parse_rate")
BINARY = ("verdict_acc", "charge_acc", "term_acc", "parse_rate")
TYPE_ORDER = ("V", "NV", "TU", "TD", "XT", "NX")
DOC_FIELDS = ("scenario", "shift_type", "side", "idx", "charge", "prison_time")


@functools.lru_cache(maxsize=1 << 16)
def parse_cached(text: str) -> Judgment:
    """:func:`parse_judgment` once per distinct output (stages often repeat answers; Judgment is frozen)."""
    return parse_judgment(text)


def is_stale(answer: Judgment, shift_type: str) -> bool | None:
    """Whether a poisoned-side answer follows the original statute (``None`` for V: undefined)."""
    if shift_type == "V":
        return None
    return verdict_correct(answer, "original", shift_type) and not verdict_correct(answer, "poisoned", shift_type)


def response_text(sample: Sample) -> str:
    """The (filtered) generated text the task's scorer saw (for LawShift items see :func:`raw_output`)."""
    first = sample.filtered_resps[0] if sample.filtered_resps else None
    if isinstance(first, str):
        return first
    resps = sample.resps[0] if sample.resps else None
    if isinstance(resps, list) and resps and isinstance(resps[0], str):
        return resps[0]
    return "" if first is None else str(first)


def raw_output(sample: Sample) -> str:
    """The text the model generated (``resps``; ``filtered_resps`` when a file has no ``resps``)."""
    resps = sample.resps[0] if sample.resps else None
    if isinstance(resps, list) and resps and isinstance(resps[0], str):
        return resps[0]
    return response_text(sample)


def stored_judgment(sample: Sample) -> Judgment | None:
    """The judgment a run stored as the sample's canonical answer (``filtered_resps``), if it did.

    LawShift runs log the canonical answer there (the task's filter); older runs logged the raw output
    again (lm-eval's ``take_first``), so a stored text equal to the raw output is not read as an answer:
    ``None`` sends the caller to the parser, which, for a newer run, gives the judgment whose canonical
    form that text is.

    >>> from lawbench.leaderboard.runs import Sample
    >>> def sample(raw, stored):
    ...     return Sample(0, {}, "", "", [[raw]], [stored], None, None, None, [], {})
    >>> stored_judgment(sample("<answer>盗窃罪 | 18</answer>", "盗窃 | 18"))
    Judgment(verdict='guilty', charge='盗窃', term=18, source='canonical')
    >>> stored_judgment(sample("盗窃", "盗窃")) is None  # an older run: "盗窃" is the raw output
    True
    """
    first = sample.filtered_resps[0] if sample.filtered_resps else None
    if not isinstance(first, str) or first == raw_output(sample):
        return None
    return Judgment.from_canonical(first)


def sample_judgment(sample: Sample) -> Judgment:
    """The judgment of a LawShift sample: the stored canonical answer, else the raw output parsed."""
    stored = stored_judgment(sample)
    return stored if stored is not None else parse_cached(raw_output(sample))


@dataclass
class ShiftItem:
    task: str
    doc_id: int
    scenario: str
    code: str
    shift_type: str
    side: str
    idx: int  # position in the scenario's file; original and poisoned are index-aligned
    key: str  # doc + prompt identity, to pair units across runs only when both are the same
    answer: Judgment
    scores: dict[str, float]
    stale: bool | None
    agrees: bool  # the re-scored metrics equal the ones the eval run stored


def is_lawshift_sample(sample: Sample) -> bool:
    return all(f in sample.doc for f in DOC_FIELDS) and sample.doc.get("side") in ("original", "poisoned")


def shift_items(run: Run) -> list[ShiftItem]:
    """Every LawShift item of a run, re-scored (sorted by task and doc id)."""
    found = []
    for task in sorted(run.samples):
        by_id = run.samples[task].get("none") or next(iter(run.samples[task].values()), {})
        for doc_id in sorted(by_id):
            sample = by_id[doc_id]
            if not is_lawshift_sample(sample):
                continue
            doc = sample.doc
            try:
                idx = int(doc["idx"])
                record = score_judgment(sample_judgment(sample), charge=str(doc["charge"]),
                                        prison_time=int(doc["prison_time"]), side=doc["side"],
                                        shift_type=doc["shift_type"])
            except (ValueError, TypeError):  # not a LawShift doc after all (unknown type, side or index)
                continue
            found.append(ShiftItem(
                task=task, doc_id=doc_id, scenario=str(doc["scenario"]), code=str(doc.get("scenario_code", "")),
                shift_type=doc["shift_type"], side=doc["side"], idx=idx,
                key=f"{sample.doc_hash}/{sample.target_hash}/{sample.prompt_hash}", answer=record.answer,
                scores=record.value,
                stale=is_stale(record.answer, doc["shift_type"]) if doc["side"] == "poisoned" else None,
                agrees=all(abs(float(sample.values[m]) - v) < 1e-9 for m, v in record.value.items()
                           if isinstance(sample.values.get(m), (int, float))),
            ))
    return found


Unit = tuple[str, int]  # (scenario, idx)


def units(items: list[ShiftItem]) -> tuple[dict[Unit, dict[str, ShiftItem]], int]:
    """Cases with both sides present (sorted), and how many items lack their other side."""
    pairs: dict[Unit, dict[str, ShiftItem]] = {}
    for item in items:
        pairs.setdefault((item.scenario, item.idx), {})[item.side] = item
    whole = {unit: sides for unit, sides in sorted(pairs.items()) if len(sides) == 2}
    return whole, sum(len(sides) for sides in pairs.values() if len(sides) == 1)


def _side_matrix(chosen: list[dict[str, ShiftItem]], side: str) -> np.ndarray:
    rows = [[u[side].scores[m] for m in METRICS] for u in chosen]
    return np.array(rows, dtype=float).reshape(len(chosen), len(METRICS))


def block(chosen: list[dict[str, ShiftItem]], iters: int, seed: int) -> dict:
    """Original / poisoned / gap per metric with 95% CIs, 2x2 tables and the stale-law rate."""
    k = len(METRICS)
    original, poisoned = _side_matrix(chosen, "original"), _side_matrix(chosen, "poisoned")
    reps = bootstrap_means(np.hstack([original, poisoned]), iters, seed)
    metrics = {}
    for i, metric in enumerate(METRICS):
        entry = {}
        for name, column, rep in (("original", original[:, i], reps[:, i]),
                                  ("poisoned", poisoned[:, i], reps[:, k + i]),
                                  ("gap", poisoned[:, i] - original[:, i], reps[:, k + i] - reps[:, i])):
            lo, hi = ci95(rep)
            entry[name] = {"score": rnd(column.mean()), "lo": lo, "hi": hi}
        if metric in BINARY:
            right_o, right_p = original[:, i] == 1.0, poisoned[:, i] == 1.0
            entry["table"] = {"rr": int((right_o & right_p).sum()), "rw": int((right_o & ~right_p).sum()),
                              "wr": int((~right_o & right_p).sum()), "ww": int((~right_o & ~right_p).sum())}
        metrics[metric] = entry
    judged = [u["poisoned"].stale for u in chosen if u["poisoned"].stale is not None]
    stale = None
    if judged:
        lo, hi = wilson95(sum(judged), len(judged))
        stale = {"k": int(sum(judged)), "n": len(judged), "rate": rnd(sum(judged) / len(judged)), "lo": lo, "hi": hi}
    return {"n": len(chosen), "metrics": metrics, "stale": stale}


def _blocks(whole: dict[Unit, dict[str, ShiftItem]]) -> dict[str, list[Unit]]:
    """Block name -> units: "pooled", "type:<T>" per scenario type, "scenario:<name>" per scenario."""
    found: dict[str, list[Unit]] = {"pooled": list(whole)}
    for unit, sides in whole.items():
        found.setdefault(f"type:{sides['original'].shift_type}", []).append(unit)
    for unit in whole:
        found.setdefault(f"scenario:{unit[0]}", []).append(unit)
    return found


def gap_change(a: dict[Unit, dict[str, ShiftItem]], b: dict[Unit, dict[str, ShiftItem]], chosen: list[Unit],
               iters: int, seed: int) -> dict:
    """Paired change of the shift gap (b minus a) on the cases both runs scored identically."""
    shared = [u for u in chosen if u in a and u in b]
    if not shared:
        return {"status": "disjoint"}
    if any(a[u][side].key != b[u][side].key for u in shared for side in ("original", "poisoned")):
        return {"status": "prompt"}
    def gaps(units_of):
        paired = [units_of[u] for u in shared]
        return _side_matrix(paired, "poisoned") - _side_matrix(paired, "original")
    diffs = gaps(b) - gaps(a)
    reps = bootstrap_means(diffs, iters, seed)
    status = "ok" if len(shared) == len(chosen) and all(u in a for u in chosen) else "subset"
    return {"status": status, "n": len(shared),
            "metrics": {m: change_summary(reps[:, i], diffs[:, i].mean()) for i, m in enumerate(METRICS)}}


def shift_view(runs: dict[str, Run], order: list[str], parents: dict[str, str | None], iters: int,
               seed: int) -> dict | None:
    """Everything the LawShift page shows, per stage (``None`` when no run has LawShift items)."""
    found = {run_id: shift_items(runs[run_id]) for run_id in order}
    per_run = {run_id: units(found[run_id]) for run_id in order}
    if not any(whole for whole, _ in per_run.values()):
        return None
    scenarios: dict[str, dict] = {}
    stages: dict[str, dict] = {}
    for run_id in order:
        whole, unpaired = per_run[run_id]
        for sides in whole.values():
            item = sides["original"]
            scenarios[item.scenario] = {"code": item.code, "type": item.shift_type}
        blocks = {name: block([whole[u] for u in chosen], iters, stable_seed(seed, "lawshift", run_id, name))
                  for name, chosen in _blocks(whole).items()}
        entry = {"unpaired": unpaired, "blocks": blocks, "vs_parent": {},
                 "rescored_differ": sum(not item.agrees for item in found[run_id])}
        parent = parents.get(run_id)
        if parent and per_run[parent][0]:
            for name, chosen in _blocks(whole).items():
                if not name.startswith("scenario:"):
                    entry["vs_parent"][name] = gap_change(per_run[parent][0], whole, chosen, iters,
                                                          stable_seed(seed, "lawshift-gap", parent, run_id, name))
        stages[run_id] = entry
    present = {info["type"] for info in scenarios.values()}
    return {
        "metrics": list(METRICS),
        "primary": SHIFT_PRIMARY,
        "binary": list(BINARY),
        "types": [t for t in TYPE_ORDER if t in present],
        "scenarios": {name: scenarios[name] for name in sorted(scenarios, key=lambda n: (scenarios[n]["code"], n))},
        "stages": stages,
    }
