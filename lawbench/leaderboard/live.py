"""Legal scores during training: each task's live score against steps, stages joined in lineage order.

    lawbench leaderboard build --runs OUT/runs --out OUT/site   # then the Charts view, "scores during training"

A recipe run with ``--eval_tasks T --eval_steps N`` (:mod:`lawbench.recipes.live_eval`) logs
``lawbench/<task>/<metric>`` into its ``trainer_state.json``. Here those points become one chart per task
and metric: the x axis counts optimizer steps along the lineage (a stage starts where its parent's training
ended, so sft's steps follow pt's), each stage's segment begins at its parent's final-eval score, and each
stage ends with its final evaluation (the ``OUT/runs/<stage>`` run: score and 95% CI). Sibling stages
(dpo and kto from rs-sft) start at the same x.

Example:
    >>> stages = [{"id": "base", "parent": None}, {"id": "sft", "parent": "base"}]
    >>> curves = {"sft": {"global_step": 4, "live": {"series": {"t/acc": [[2, 0.25], [4, 0.5]]}}}}
    >>> rows = [{"node": "t", "metric": "acc", "filter": "none", "primary": True, "depth": 0, "ancestors": [],
    ...          "cells": {"base": {"score": 0.0}, "sft": {"score": 0.5, "lo": 0.25, "hi": 0.75}}}]
    >>> view = live_view(stages, curves, rows)
    >>> view["offsets"], view["charts"][0]["segments"]
    ({'base': 0, 'sft': 0}, [{'stage': 'sft', 'points': [[0, 0.0], [2, 0.25], [4, 0.5]]}])
    >>> view["charts"][0]["finals"]
    [{'stage': 'base', 'x': 0, 'score': 0.0}, {'stage': 'sft', 'x': 4, 'score': 0.5, 'lo': 0.25, 'hi': 0.75}]
"""

from __future__ import annotations

PREFIX = "lawbench/"


def live_series(state: dict) -> dict | None:
    """``{"series": {"<task>/<metric>": [[step, value], ...]}, "eval_seconds": s}`` from a trainer state."""
    from lawbench.leaderboard.stats import rnd

    series: dict[str, list] = {}
    seconds = 0.0
    for entry in state.get("log_history") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), int):
            continue
        for key, value in entry.items():
            if not key.startswith(PREFIX) or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            name = key[len(PREFIX):]
            if name == "eval_runtime":
                seconds += value
            elif "/" in name and rnd(value) is not None:
                series.setdefault(name, []).append([entry["step"], rnd(value)])
    return {"series": series, "eval_seconds": round(seconds, 3)} if series else None


def _offsets(stages: list[dict], curves: dict) -> dict[str, int]:
    """Where each stage's step 0 lies on the joined axis: its parent's offset plus the parent's steps."""
    offsets: dict[str, int] = {}
    for stage in stages:  # parents come before their children
        parent = stage.get("parent")
        if parent in offsets:
            steps = (curves.get(parent) or {}).get("global_step") or 0
            offsets[stage["id"]] = offsets[parent] + int(steps)
        else:
            offsets[stage["id"]] = 0
    return offsets


def _row_for(rows: list[dict], task: str, metric_key: str) -> dict | None:
    metric, _, filt = metric_key.partition(",")
    for row in rows:
        if row["node"] == task and row["metric"] == metric and row.get("filter", "none") == (filt or "none"):
            return row
    return None


def live_view(stages: list[dict], curves: dict, rows: list[dict]) -> dict:
    """The site's ``live`` data: stage offsets and one chart per task and metric with live points."""
    offsets = _offsets(stages, curves)
    names = sorted({name for c in curves.values() for name in ((c.get("live") or {}).get("series") or {})})
    charts = []
    for name in names:
        task, _, metric_key = name.partition("/")
        row = _row_for(rows, task, metric_key)
        cells = row["cells"] if row else {}
        segments, finals = [], []
        for stage in stages:
            sid, parent = stage["id"], stage.get("parent")
            points = (((curves.get(sid) or {}).get("live") or {}).get("series") or {}).get(name)
            if points:
                start = [[offsets[sid], cells[parent]["score"]]] if parent in cells else []
                segments.append({"stage": sid, "points": start + [[offsets[sid] + s, v] for s, v in points]})
            if sid in cells:
                end = offsets[sid] + int((curves.get(sid) or {}).get("global_step") or 0)
                finals.append({"stage": sid, "x": end, **{k: cells[sid][k] for k in ("score", "lo", "hi")
                                                          if cells[sid].get(k) is not None}})
        charts.append({"node": task, "metric": metric_key, "primary": row["primary"] if row else True,
                       "depth": row["depth"] if row else 0, "ancestors": row["ancestors"] if row else [],
                       "higher_is_better": row.get("higher_is_better") if row else None,
                       "segments": segments, "finals": finals})
    seconds = {sid: c["live"].get("eval_seconds") for sid, c in curves.items() if c.get("live")}
    return {"offsets": offsets, "eval_seconds": seconds, "charts": charts}
