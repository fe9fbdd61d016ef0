"""The site's "Judged" view: each stage's judged win rate against its parent, beside the metric deltas.

It reads ``RUNS/judge_pairwise.json`` (written by ``lawbench judge pairwise`` or by ``lawbench
leaderboard build --judge-base-url ...``, see :mod:`lawbench.judge.pairwise`) and joins each row with
the task's primary-metric change against the parent from the overview (its CI and guard status), so the
page shows "what each stage bought", in the judge's words and in the metric's. Also the pointwise
judge figures each run recorded (``lawbench.judge`` in its manifest: rubric, parse rate, reliability).

Example:
    >>> judged_view(Path("/nonexistent"), [], {}) is None
    True
"""

from __future__ import annotations

import logging
from pathlib import Path

from lawbench.errors import DataError
from lawbench.judge.pairwise import RESULT_FILE, runs_roots
from lawbench.utils.io import read_json_strict

log = logging.getLogger(__name__)

_ROW_KEYS = {"stage": str, "parent": str, "task": str, "n": int, "wins": int, "ties": int, "losses": int,
             "unparsed": int}
_NUMBERS = ("win_rate", "lo", "hi", "order_consistency")


def _checked(found, path: Path) -> dict:
    """The pairwise file when it has the shape this view reads; else a one-line :class:`DataError`."""
    if not isinstance(found, dict) or not isinstance(found.get("pairs"), list):
        raise DataError(f"{path}: not a lawbench judge_pairwise.json (no 'pairs' list)")
    for index, row in enumerate(found["pairs"]):
        if not isinstance(row, dict):
            raise DataError(f"{path}: pairs[{index}] must be an object")
        for key, kind in _ROW_KEYS.items():
            if not isinstance(row.get(key), kind) or isinstance(row.get(key), bool):
                raise DataError(f"{path}: pairs[{index}].{key} must be {'a number' if kind is int else 'text'}")
        for key in _NUMBERS:
            value = row.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise DataError(f"{path}: pairs[{index}].{key} must be a number or null")
    judge = found.get("judge")
    if judge is not None and not isinstance(judge, dict):
        raise DataError(f"{path}: 'judge' must be an object")
    return found


def judge_identity(run, task: str) -> tuple | None:
    """(judge model, rubric sha256) that judged ``task`` in ``run`` (its manifest), for the comparability guard.

    >>> class Run: manifest = {"judge": {"model": "m", "rubric": {"sha256": "ab"}, "tasks": {"t": {}}}}
    >>> judge_identity(Run, "t"), judge_identity(Run, "other")
    (('m', 'ab'), None)
    """
    judge = run.manifest.get("judge")
    if not isinstance(judge, dict) or not isinstance((judge.get("tasks") or {}).get(task), dict):
        return None
    entry = judge["tasks"][task]  # a task carried from an earlier result set names its own judge
    rubric = judge.get("rubric") if isinstance(judge.get("rubric"), dict) else {}
    return (entry.get("model", judge.get("model")), entry.get("rubric_sha256", rubric.get("sha256")))


def _metric_change(rows: list[dict], task: str, stage: str) -> dict | None:
    """The task's primary-metric change vs the parent, as the overview shows it."""
    for row in rows:
        if row.get("node") == task and row.get("primary") and stage in row.get("vs_parent", {}):
            change = row["vs_parent"][stage]
            return {"metric": row.get("metric"), **{k: change.get(k) for k in ("diff", "lo", "hi", "status",
                                                                                "significant")}}
    return None


def judged_view(runs_dir, rows: list[dict], manifests: dict[str, dict]) -> dict | None:
    """``{"judge", "pairs", "pointwise"}`` for the site, or ``None`` when nothing was judged.

    ``runs_dir`` is the build's ``--runs`` (one folder or several): each may hold a ``judge_pairwise.json``.
    ``rows`` are the overview rows (for the metric deltas); ``manifests`` the runs' ``lawbench`` manifests
    by run id (for each run's pointwise judge figures).
    """
    pointwise = {}
    for run_id, manifest in manifests.items():
        judge = manifest.get("judge") if isinstance(manifest, dict) else None
        if isinstance(judge, dict):
            pointwise[run_id] = {k: judge.get(k) for k in ("model", "rubric", "computed", "from_cache", "failed",
                                                           "tokens_in", "tokens_out", "tasks", "reliability")}
    files = [root / RESULT_FILE for root in runs_roots(runs_dir) if (root / RESULT_FILE).is_file()]
    found = [_checked(read_json_strict(path), path) for path in files]
    if not found and not pointwise:
        return None
    pairs = []
    for result in found:
        for row in result["pairs"]:
            pairs.append({**{k: row.get(k) for k in (*_ROW_KEYS, *_NUMBERS)},
                          "metric_change": _metric_change(rows, row["task"], row["stage"])})
    first = found[0] if found else {}  # one judge per build is the usual case; each file names its own
    return {"judge": first.get("judge"), "calls": first.get("calls"), "pairs": pairs, "pointwise": pointwise}
