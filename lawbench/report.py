"""Readable summary tables of an eval run (rich; plain text when stdout is not a terminal)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from lawbench.postprocess import LAWSHIFT_METRICS

SHORT = {"charge_acc": "charge", "term_acc": "term", "term_score": "t.score", "verdict_acc": "verdict",
         "parse_rate": "parsed"}


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "—"


def _metric_columns(results: dict, names: list[str]) -> list[tuple[str, str]]:
    """(metric, filter) pairs present in these entries, LawShift metrics first."""
    found = {tuple(key.split(",", 1)) for name in names for key in results["results"].get(name, {})
             if "," in key and "_stderr" not in key and not key.startswith("shift_gap_")}
    order = {metric: i for i, metric in enumerate(LAWSHIFT_METRICS)}
    return sorted(found, key=lambda mf: (order.get(mf[0], len(order)), mf))


def _metric_table(results: dict, names: list[str], title: str):
    from rich.table import Table

    columns = _metric_columns(results, names)
    table = Table(title=title, title_justify="left")
    table.add_column("task", no_wrap=True)
    table.add_column("n", justify="right")
    for metric, filter_name in columns:
        table.add_column(metric if filter_name == "none" else f"{metric} ({filter_name})", justify="right")
    for name in names:
        entry = results["results"].get(name, {})
        n = results.get("n-samples", {}).get(name, {}).get("effective", entry.get("sample_len", ""))
        row = []
        for metric, filter_name in columns:
            value = entry.get(f"{metric},{filter_name}")
            stderr = entry.get(f"{metric}_stderr,{filter_name}")
            row.append(_fmt(value) + (f" ±{stderr:.3f}" if isinstance(stderr, (int, float)) else ""))
        label = entry.get("alias", name).strip()
        table.add_row(label if len(label) <= 32 else name, str(n), *row)
    return table


def _shift_table(shift: dict):
    from rich.table import Table

    table = Table(title="LawShift: original → poisoned (shift gap)", title_justify="left")
    for column in ("scenario", "type", "n"):
        table.add_column(column)
    for metric in LAWSHIFT_METRICS:
        table.add_column(SHORT[metric], justify="right")
    rows = [("ALL (pooled)", "", "", shift.get("pooled", {}))]
    for name, row in shift.get("scenarios", {}).items():
        cells = {m: {"original": row.get("original", {}).get(m), "poisoned": row.get("poisoned", {}).get(m),
                     "shift_gap": row.get("shift_gap", {}).get(m)} for m in LAWSHIFT_METRICS}
        rows.append((name, row["type"], str(row.get("n_original") or row.get("n_poisoned") or ""), cells))
    for name, kind, n, cells in rows:
        rendered = []
        for metric in LAWSHIFT_METRICS:
            cell = cells.get(metric) or {}
            gap = cell.get("shift_gap")
            rendered.append(f"{_fmt(cell.get('original'))}→{_fmt(cell.get('poisoned'))}"
                            + (f" ({gap:+.2f})" if isinstance(gap, (int, float)) else ""))
        table.add_row(name, kind, n, *rendered)
    return table


def print_summary(results: dict, console=None) -> None:
    """Group and task scores, then the LawShift scenario table when LawShift was run."""
    from rich.console import Console

    # Not a terminal (logs, CI): rich would wrap at 80 columns; these tables read better wider.
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    groups = list(results.get("groups", {}))
    leaves = [n for n in results.get("results", {}) if n not in groups and not n.startswith("lawshift_")]
    if groups or leaves:
        console.print(_metric_table(results, groups + leaves, "Scores (mean ± stderr)"))
    shift = results.get("lawbench", {}).get("shift", {})
    if shift.get("scenarios"):
        console.print(_shift_table(shift))


def load_stage_runs(runs_dir: Path, stages: list[str]) -> dict[str, dict]:
    """``{stage: results}`` of the stages whose run folder holds results (newest file wins)."""
    import json

    found = {}
    for stage in stages:
        files = sorted((runs_dir / stage).glob("results_*.json"))
        if files:
            found[stage] = json.loads(files[-1].read_text(encoding="utf-8"))
    return found


def print_stage_table(stage_runs: dict[str, dict], console=None) -> None:
    """One screen: every group's headline metrics (rows) for every stage (columns)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 160)
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for stage, results in stage_runs.items():
        grouped = {t for members in (results.get("group_subtasks") or {}).values() for t in members}
        names = [n for n in results.get("results", {}) if n in results.get("groups", {}) or n not in grouped]
        for name in names:
            for key, value in results["results"].get(name, {}).items():
                if ("," in key and "_stderr" not in key and isinstance(value, (int, float))
                        and not key.startswith("shift_gap_")):
                    metric = key.split(",")[0] + ("" if key.endswith(",none") else f" ({key.split(',', 1)[1]})")
                    rows.setdefault((name, metric), {})[stage] = value
    table = Table(title="Scores by stage", title_justify="left")
    table.add_column("task")
    table.add_column("metric")
    for stage in stage_runs:
        table.add_column(stage, justify="right")
    for (name, metric), values in rows.items():
        table.add_row(name, metric, *(_fmt(values.get(stage)) for stage in stage_runs))
    console.print(table)
