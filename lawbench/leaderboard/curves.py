"""Training curves from Hugging Face ``trainer_state.json`` files (``log_history``).

Where a stage's state is looked for, first match wins:

1. ``RUNS/../checkpoints/<stage>/trainer_state.json`` (the pipeline's layout), then ``<run folder name>``;
2. the manifest's adapter folder and the folder above it, then the same for its model folder;
3. the newest ``checkpoint-<step>/trainer_state.json`` inside any of those folders.

Charts group related keys: ``loss`` with ``eval_loss``, every ``loss/<channel>`` of PT in one
"loss per channel" chart, ``rewards/<fn>/...`` under ``rewards``, and so on.

Example:
    >>> charts = curves_from_state({"log_history": [
    ...     {"step": 1, "loss": 2.0, "loss/statute": 2.5, "loss/qa": 1.5, "epoch": 0.1},
    ...     {"step": 2, "loss": 1.5, "loss/statute": 2.0, "loss/qa": 1.0, "kl": 0.02}]})
    >>> [(c["title"], sorted(c["series"])) for c in charts]
    [('loss', ['loss']), ('loss per channel', ['loss/qa', 'loss/statute']), ('kl', ['kl'])]
"""

from __future__ import annotations

import re
from pathlib import Path

from lawbench.errors import DataError
from lawbench.leaderboard.runs import Run
from lawbench.leaderboard.stats import rnd
from lawbench.utils.io import read_json_strict
from lawbench.utils.safe import NAME_RE

MAX_POINTS = 400  # per series: enough for a 300-pixel chart, keeps the embedded data small
# lawbench/<task>/<metric>: scores while training, drawn joined across stages (lawbench.leaderboard.live)
BOOKKEEPING = re.compile(r"^(step|epoch|total_flos|.*_runtime|.*_per_second|num_tokens|train_loss|lawbench/.*)$")
CHART_ORDER = ("loss", "loss per channel", "reward", "rewards", "kl", "entropy", "clip_fraction", "value_loss",
               "learning_rate", "grad_norm")


def _checkpoint_state(folder: Path) -> Path | None:
    if (folder / "trainer_state.json").is_file():
        return folder / "trainer_state.json"
    steps = []
    for sub in folder.glob("checkpoint-*"):
        match = re.fullmatch(r"checkpoint-(\d+)", sub.name)
        if match and (sub / "trainer_state.json").is_file():
            steps.append((int(match.group(1)), sub / "trainer_state.json"))
    return max(steps)[1] if steps else None


def find_trainer_state(run: Run, runs_dir: Path) -> Path | None:
    model = run.manifest.get("model") or {}
    # a manifest's stage is data from the run folder: only a plain name may pick a folder under checkpoints/
    candidates = [runs_dir.parent / "checkpoints" / name for name in (run.stage, run.id) if NAME_RE.match(name)
                  and name not in (".", "..")]
    if model.get("kind") not in ("hub", "api"):
        for folder in (model.get("adapter"), model.get("path")):
            if isinstance(folder, str) and folder:
                candidates += [Path(folder), Path(folder).parent]  # the model folder, or the training output above it
    for folder in candidates:
        if folder.is_dir():
            found = _checkpoint_state(folder)
            if found:
                return found
    return None


def _chart_title(key: str) -> str:
    name = key[len("eval_"):] if key.startswith("eval_") else key
    if name.startswith("loss/"):
        return "loss per channel"
    return name.split("/", 1)[0]


def _thin(points: list[list[float]]) -> list[list[float]]:
    if len(points) <= MAX_POINTS:
        return points
    step = (len(points) - 1) / (MAX_POINTS - 1)
    return [points[round(i * step)] for i in range(MAX_POINTS)]


def curves_from_state(state: dict) -> list[dict]:
    """``[{"title", "series": {key: [[step, value], ...]}}]`` from a trainer state, charts in a fixed order."""
    series: dict[str, list[list[float]]] = {}
    for position, entry in enumerate(state.get("log_history") or []):
        if not isinstance(entry, dict):
            continue
        step = entry.get("step", position)
        if isinstance(step, bool) or not isinstance(step, (int, float)) or rnd(step) is None:
            step = position  # a trainer state from elsewhere is data: a step must be a finite number
        for key, value in entry.items():
            if BOOKKEEPING.match(key) or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if rnd(value) is not None:
                series.setdefault(key, []).append([step, rnd(value)])
    charts: dict[str, dict[str, list]] = {}
    for key in sorted(series):
        charts.setdefault(_chart_title(key), {})[key] = _thin(series[key])
    order = sorted(charts, key=lambda t: (CHART_ORDER.index(t) if t in CHART_ORDER else len(CHART_ORDER), t))
    return [{"title": title, "series": charts[title]} for title in order]


def training_curves(run: Run, runs_dir: Path) -> dict | None:
    """The run's charts and where they came from (``None`` when no trainer state is found)."""
    path = find_trainer_state(run, runs_dir)
    if path is None:
        return None
    state = read_json_strict(path)
    if not isinstance(state, dict):
        raise DataError(f"{path}: not a trainer state (expected a JSON object with 'log_history')")
    # Relative to the pipeline's output folder, so that the site does not depend on where it lies.
    root = runs_dir.parent.resolve()
    source = (path.resolve().relative_to(root).as_posix() if path.resolve().is_relative_to(root)
              else f"{path.parent.name}/{path.name}")  # never an absolute path of the build machine
    from lawbench.leaderboard.live import live_series

    return {"source": source, "global_step": state.get("global_step"), "charts": curves_from_state(state),
            "live": live_series(state)}
