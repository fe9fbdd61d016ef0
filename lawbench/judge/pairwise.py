"""Pairwise judging of training stages: which of two stages answered the same question better.

For every run whose parent stage is among the runs (lineage as the leaderboard reads it, see
:mod:`lawbench.leaderboard.lineage`), every judged task both runs scored (task metadata
``lawbench_judge``, as lm-eval records it in the results file) and every item both scored with the same
document and target, the judge sees the question, the reference answer and the two answers twice: the
stage's answer first, then the parent's first. An item is a win when both orders prefer the stage, a
loss when both prefer the parent, and a tie otherwise (a "tie" verdict, or the orders disagree: position
bias cancels out). The win rate is ``(wins + ties / 2) / n`` with a 95% bootstrap interval over items;
the share of items whose two orders agree is the judge's *order consistency*.

The result, ``RUNS/judge_pairwise.json``, is what the leaderboard site shows beside the metric deltas
(:mod:`lawbench.leaderboard.judged`). Judge calls are cached in ``RUNS/.judge-cache/`` (a rerun makes
none).

Example:
    >>> combine("A", "B"), combine("A", "A"), combine("tie", "B"), combine("B", "A")
    ('win', 'tie', 'tie', 'loss')
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path

import numpy as np

from lawbench.judge.client import JudgeClient, JudgeOptions
from lawbench.judge.pointwise import is_judged, judge_conversations
from lawbench.judge.rubric import load_rubric
from lawbench.utils.io import sha256_text

log = logging.getLogger(__name__)

RESULT_FILE = "judge_pairwise.json"
CACHE_DIR = ".judge-cache"
VALUE = {"win": 1.0, "tie": 0.5, "loss": 0.0}


def combine(first: str, second: str) -> str:
    """The item's outcome for the stage from two verdicts: ``first`` with the stage as A, ``second`` as B."""
    stage_first = {"A": "win", "B": "loss", "tie": "tie"}[first]
    stage_second = {"B": "win", "A": "loss", "tie": "tie"}[second]
    return stage_first if stage_first == stage_second else "tie"


def consistent(first: str, second: str) -> bool:
    """Whether the two orders say the same thing (both ties, or the same answer preferred)."""
    return combine(first, second) != "tie" or first == second == "tie"


def win_rate_ci(outcomes: list[str], iters: int, seed: int) -> tuple[float, float, float]:
    """Win rate (ties count half) and its 95% bootstrap percentile interval over items."""
    values = np.array([VALUE[o] for o in outcomes], dtype=float)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(iters, len(values)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return round(float(values.mean()), 6), round(float(low), 6), round(float(high), 6)


def _judged_tasks(run) -> set[str]:
    configs = run.results.get("configs") or {}
    return {task for task, config in configs.items()
            if isinstance(config, dict) and is_judged(config.get("metadata") if isinstance(config.get("metadata"),
                                                                                             dict) else None)}


def _answer(sample) -> str:
    first = (sample.filtered_resps or sample.resps or [""])[0]
    while isinstance(first, list):
        first = first[0] if first else ""
    return str(first)


def _shared_items(child, parent, task: str):
    """``[(child sample, parent sample)]`` on the first filter, same document and target."""
    filters_c, filters_p = child.samples.get(task) or {}, parent.samples.get(task) or {}
    filt = next((f for f in filters_c if f in filters_p), None)
    if filt is None:
        return []
    a, b = filters_c[filt], filters_p[filt]
    return [(a[i], b[i]) for i in sorted(set(a) & set(b))
            if (a[i].doc_hash, a[i].target_hash) == (b[i].doc_hash, b[i].target_hash)]


def runs_roots(runs_dirs) -> list[Path]:
    """``--runs`` as a list of folders (one folder or several, as :func:`lawbench.leaderboard.runs.load_runs`).

    >>> runs_roots("out/runs"), runs_roots(["a", "b"])
    ([PosixPath('out/runs')], [PosixPath('a'), PosixPath('b')])
    """
    import os

    return [Path(runs_dirs)] if isinstance(runs_dirs, (str, os.PathLike)) else [Path(r) for r in runs_dirs]


def pairwise_runs(runs_dir, options: JudgeOptions, *, iters: int = 1000, seed: int = 1234,
                  out: str | Path | None = None) -> Path:
    """Judge each stage against its parent on the judged tasks; write and return ``judge_pairwise.json``.

    ``runs_dir`` is one folder of runs or several; the result and the cache go to the first one.
    """
    from lawbench.leaderboard.lineage import order_stages
    from lawbench.leaderboard.runs import load_runs
    from lawbench.leaderboard.stats import stable_seed
    from lawbench.utils.io import atomic_write_json

    roots = runs_roots(runs_dir)
    loaded = {run.id: run for run in load_runs(roots)}
    runs_dir = roots[0]
    stages = order_stages((run.id, run.stage, run.parent) for run in loaded.values())
    rubric = load_rubric(options.judge_rubric)
    key = sha256_text(f"{options.judge_model}|{options.judge_max_tokens}")[:16]
    client = JudgeClient(options, cache_path=runs_dir / CACHE_DIR / f"pairwise-{key}.db")
    pairs = []
    try:
        for stage in stages:
            if stage.parent is None:
                continue
            child, parent = loaded[stage.id], loaded[stage.parent]
            for task in sorted(_judged_tasks(child) & _judged_tasks(parent)):
                shared = _shared_items(child, parent, task)
                if not shared:
                    continue
                conversations = []
                for mine, theirs in shared:
                    question, reference = mine.prompt, mine.target
                    conversations.append(rubric.pairwise_messages(question, reference, _answer(mine), _answer(theirs)))
                    conversations.append(rubric.pairwise_messages(question, reference, _answer(theirs), _answer(mine)))
                verdicts, stats, _ = judge_conversations(client, rubric, conversations, pairwise=True,
                                                         desc=f"judge {stage.id} vs {stage.parent} {task}")
                pairs.append(_pair_row(stage.id, stage.parent, task, verdicts, stats,
                                       iters, stable_seed(seed, stage.id, stage.parent, task)))
    finally:
        client.close()
    result = {"judge": {"model": options.judge_model, "rubric": {"name": rubric.name, "sha256": rubric.sha256}},
              "calls": client.counts.as_dict(), "bootstrap_iters": iters, "seed": seed, "pairs": pairs,
              "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    path = Path(out) if out else runs_dir / RESULT_FILE
    return atomic_write_json(path, result)


def _pair_row(stage: str, parent: str, task: str, verdicts: list[str | None], stats: dict, iters: int,
              seed: int) -> dict:
    outcomes, agreeing, unparsed = [], 0, 0
    for first, second in zip(verdicts[0::2], verdicts[1::2], strict=True):
        if first is None or second is None:
            unparsed += 1
            continue
        outcomes.append(combine(first, second))
        agreeing += consistent(first, second)
    row = {"stage": stage, "parent": parent, "task": task, "n": len(outcomes), "unparsed": unparsed,
           "wins": outcomes.count("win"), "ties": outcomes.count("tie"), "losses": outcomes.count("loss"),
           "repaired": stats["repaired"], "win_rate": None, "lo": None, "hi": None,
           "order_consistency": round(agreeing / len(outcomes), 4) if outcomes else None}
    if outcomes:
        row["win_rate"], row["lo"], row["hi"] = win_rate_ci(outcomes, iters, seed)
    return row
