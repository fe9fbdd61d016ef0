"""What lawbench adds to lm-eval's results table after an evaluation; each step returns a new table.

* :func:`with_bootstrap_stderrs`: stderrs that lm-eval leaves at ``"N/A"`` (corpus-level metrics);
* :func:`with_shift_gaps`: ``shift_gap_<metric>`` on the ``lawshift`` group (poisoned minus original);
* :func:`shift_summary`: the same gaps pooled and per scenario, for the manifest;
* :func:`task_hashes`: lm-eval's per-task hash of its docs, prompts and targets.

The input is never changed: a step copies the entries it fills in (the per-item ``samples`` are shared,
not copied).

Example:
    >>> table = {"results": {"lawshift": {}, "lawshift_original": {"charge_acc,none": 0.75},
    ...                      "lawshift_poisoned": {"charge_acc,none": 0.25}}}
    >>> with_shift_gaps(table)["results"]["lawshift"]
    {'shift_gap_charge_acc,none': -0.5}
    >>> table["results"]["lawshift"]
    {}
"""

from __future__ import annotations

import math
from typing import Any

LAWSHIFT_METRICS = ("charge_acc", "term_acc", "term_score", "verdict_acc", "parse_rate")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _with_entries(results: dict, entries: dict[str, dict]) -> dict:
    """``results`` with these ``results[task]`` entries replaced (shallow copies elsewhere)."""
    if not entries:
        return results
    return {**results, "results": {**results.get("results", {}), **entries}}


def with_shift_gaps(results: dict) -> dict:
    """``results`` with ``shift_gap_<metric>`` (and its stderr, both sides' in quadrature) on ``lawshift``."""
    table = results.get("results", {})
    original, poisoned, group = table.get("lawshift_original"), table.get("lawshift_poisoned"), table.get("lawshift")
    if not (original and poisoned) or group is None:
        return results
    entry = dict(group)
    for metric in LAWSHIFT_METRICS:
        key = f"{metric},none"
        if _number(original.get(key)) and _number(poisoned.get(key)):
            entry[f"shift_gap_{metric},none"] = poisoned[key] - original[key]
            errors = [side.get(f"{metric}_stderr,none") for side in (original, poisoned)]
            if all(_number(e) for e in errors):
                entry[f"shift_gap_{metric}_stderr,none"] = math.sqrt(sum(e * e for e in errors))
    return _with_entries(results, {"lawshift": entry})


def shift_summary(results: dict) -> dict:
    """Pooled and per-scenario LawShift metrics of both sides and their gaps (the manifest's ``shift``)."""
    from lawbench.tasks.lawshift.scenarios import BY_NAME, subtask_name

    table = results.get("results", {})
    summary: dict[str, Any] = {"pooled": {}, "scenarios": {}}
    original, poisoned = table.get("lawshift_original"), table.get("lawshift_poisoned")
    if original and poisoned:
        for metric in LAWSHIFT_METRICS:
            key = f"{metric},none"
            if _number(original.get(key)) and _number(poisoned.get(key)):
                summary["pooled"][metric] = {"original": original[key], "poisoned": poisoned[key],
                                             "shift_gap": poisoned[key] - original[key]}
    for name, info in BY_NAME.items():
        sides = {side: table.get(subtask_name(name, side)) for side in ("original", "poisoned")}
        if not any(sides.values()):
            continue
        row: dict[str, Any] = {"type": info.shift_type, "code": info.code}
        for side, entry in sides.items():
            if entry:
                row[side] = {m: entry[f"{m},none"] for m in LAWSHIFT_METRICS if f"{m},none" in entry}
                row[f"n_{side}"] = results.get("n-samples", {}).get(subtask_name(name, side), {}).get("effective")
        if sides["original"] and sides["poisoned"]:
            row["shift_gap"] = {m: row["poisoned"][m] - row["original"][m]
                                for m in LAWSHIFT_METRICS if m in row["original"] and m in row["poisoned"]}
        summary["scenarios"][name] = row
    return summary


def with_bootstrap_stderrs(results: dict, tasks: dict, seed: int) -> dict:
    """``results`` with the stderrs lm-eval leaves at "N/A" (custom corpus-level aggregations) bootstrapped.

    A task opts in with ``metadata: {lawbench_bootstrap_iters: N}``; its items are resampled N times.
    An :class:`~lawbench.metrics.resample.ItemAggregation` scores all resamples at once from the
    per-item rows; any other aggregation is applied to each resample. Groups whose subtasks now all
    have a stderr get lm-eval's pooled stderr.
    """
    from lm_eval.api.metrics import pooled_sample_stderr

    from lawbench.metrics.resample import bootstrap_stderr_of

    table, samples = results.get("results", {}), results.get("samples") or {}
    filled: dict[str, dict] = {}
    for name, task in tasks.items():
        iters = int((task.config.metadata or {}).get("lawbench_bootstrap_iters") or 0)
        entry = table.get(name)
        if not iters or entry is None or name not in samples:
            continue
        entry = dict(entry)
        for metric, aggregate in task.aggregation().items():
            for key in [k for k in entry if k.startswith(f"{metric}_stderr,") and entry[k] == "N/A"]:
                filter_name = key.split(",", 1)[1]
                items = [s[metric] for s in samples[name]
                         if s.get("filter", filter_name) == filter_name and metric in s]
                if len(items) > 1:
                    entry[key] = bootstrap_stderr_of(aggregate, items, iters=iters, seed=seed)
        filled[name] = entry
    table = {**table, **filled}
    for group, members in (results.get("group_subtasks") or {}).items():
        entry = dict(table.get(group, {}))
        for key in [k for k in entry if "_stderr," in k and entry[k] == "N/A"]:
            stderrs = [table.get(m, {}).get(key) for m in members]
            sizes = [results.get("n-samples", {}).get(m, {}).get("effective", 0) for m in members]
            if members and all(_number(e) for e in stderrs) and sum(sizes) > len(sizes):
                entry[key] = float(pooled_sample_stderr(stderrs, sizes))
                filled[group] = table[group] = entry  # a parent group may pool this group next
    return _with_entries(results, filled)


def task_hashes(samples: dict) -> dict[str, str]:
    """lm-eval's per-task hash of all doc, prompt and target hashes (changes when prompts change)."""
    from lm_eval.utils import hash_string

    return {
        task: hash_string("".join(s.get("doc_hash", "") + s.get("prompt_hash", "") + s.get("target_hash", "")
                                  for s in items))
        for task, items in samples.items()
    }
