"""``lawbench runs DIR...``: the eval runs under some folders, one line each, in the terminal.

    lawbench runs demo-out/runs out            # a table: stage, parent, model, tasks, primary scores, when
    lawbench runs out --json                   # the same as one JSON object (the last line of stdout)

Runs are found the way ``lawbench leaderboard build`` finds them (:func:`lawbench.leaderboard.runs.run_folders`)
and only their newest results file is read (no samples), so a large folder lists at once. A task's score is
its family's primary metric (:meth:`TaskTree.primary_metric`, as on the site's overview) for the tasks and groups at
the top of each run's tree.

Example:
    >>> from pathlib import Path
    >>> row = summarize(Path("runs/sft"), {"results": {"lawshift": {"charge_acc,none": 0.5}},
    ...     "configs": {"lawshift": {"metric_list": [{"metric": "charge_acc"}]}},
    ...     "lawbench": {"stage": "sft", "parent": "pt", "model": {"path": "/x/checkpoints/sft"},
    ...                  "created": "2026-11-29T18:29:48+00:00"}})
    >>> row["stage"], row["parent"], row["model"], row["scores"]
    ('sft', 'pt', 'sft', {'lawshift': {'metric': 'charge_acc', 'value': 0.5}})
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path

from lawbench.leaderboard.runs import RESULTS_PREFIX, Run, check_results, run_folders
from lawbench.leaderboard.tasktree import TaskTree, split_metric_key
from lawbench.recipes.registry import stage_rank
from lawbench.utils.io import read_json_strict


def _model_name(model: dict) -> str:
    """A local checkpoint by its folder name (no private paths on screen), a hub id or API model as given."""
    value = str(model.get("path") or model.get("argument") or model.get("name") or "")
    return Path(value).name if value.startswith(("/", ".", "~")) else value


def _when(results: dict) -> str:
    created = (results.get("lawbench") or {}).get("created")
    if isinstance(created, str):
        return created.replace("T", " ")[:16]
    date = results.get("date")
    if isinstance(date, (int, float)):
        return _dt.datetime.fromtimestamp(date, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    return ""


def _top_nodes(results: dict) -> list[str]:
    """Groups that no other group contains, then tasks outside every group: what the run was asked for."""
    subtasks = results.get("group_subtasks") or {}
    inside = {member for members in subtasks.values() for member in members}
    return [name for name in results["results"] if name not in inside]


def summarize(folder: Path, results: dict) -> dict:
    """One run's line: stage, parent, model, top-level tasks, their primary scores, when."""
    manifest = results.get("lawbench") or {}
    tree = TaskTree([Run(id=folder.name, folder=folder, results_file=folder, results=results)])
    scores = {}
    for node in _top_nodes(results):
        entry = results["results"].get(node) or {}
        primary = tree.primary_metric(node)
        for key, value in entry.items():
            if split_metric_key(key)[0] == primary and isinstance(value, (int, float)):
                scores[node] = {"metric": primary, "value": value}
                break
    leaves = [name for name in results["results"] if tree.is_leaf(name)]
    return {"folder": str(folder), "stage": str(manifest.get("stage") or folder.name),
            "parent": manifest.get("parent"), "model": _model_name(manifest.get("model") or {}),
            "tasks": _top_nodes(results), "subtasks": len(leaves), "scores": scores, "when": _when(results)}


def collect(dirs: list[str]) -> list[dict]:
    """A line per run found under ``dirs``, in stage order (then time)."""
    rows = []
    for folder in dict.fromkeys(f for d in dirs for f in run_folders(Path(d))):
        newest = sorted(p for p in folder.glob(f"{RESULTS_PREFIX}*.json") if p.is_file())[-1]
        rows.append(summarize(folder, check_results(read_json_strict(newest, nan_as_none=True), newest)))
    return sorted(rows, key=lambda row: (stage_rank(row["stage"]), row["when"], row["folder"]))


def print_runs(rows: list[dict], console=None) -> None:
    """The rows as a rich table: a column per top-level task, headed by its primary metric."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 160)
    columns = list(dict.fromkeys((node, s["metric"]) for row in rows for node, s in row["scores"].items()))
    table = Table(title=f"{len(rows)} eval run{'s' * (len(rows) != 1)}", title_justify="left")
    for name in ("stage", "parent", "model", "subtasks"):
        table.add_column(name, justify="right" if name == "subtasks" else "left")
    for node, metric in columns:
        table.add_column(f"{node}\n{metric}", justify="right")
    table.add_column("when (UTC)")
    for row in rows:
        cells = []
        for node, metric in columns:
            score = row["scores"].get(node)
            cells.append(f"{score['value']:.3f}" if score and score["metric"] == metric else "—")
        table.add_row(row["stage"], row["parent"] or "", row["model"], str(row["subtasks"]), *cells, row["when"])
    console.print(table)


def main(dirs: list[str], as_json: bool = False) -> int:
    rows = collect(dirs)
    if as_json:
        print(json.dumps({"runs": rows}, ensure_ascii=False))
    else:
        print_runs(rows)
    return 0
