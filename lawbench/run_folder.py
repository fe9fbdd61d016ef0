"""An eval run folder: where it is, who writes it, and what an earlier run in it leaves behind.

* ``OUTPUT_DIR/RUN_NAME`` with ``RUN_NAME`` a plain name (:func:`lawbench.utils.safe.check_name`), never
  a path that leaves ``OUTPUT_DIR``;
* one writer at a time (:func:`lawbench.utils.lock.folder_lock`);
* re-running into a folder that already has results **merges**: tasks of the earlier run that the new
  run does not evaluate are kept (their results, configs, versions, hashes and samples files carried
  into the new result set); tasks evaluated again are replaced, and so is a group aggregate one of whose
  subtasks is replaced. Only a result set of the *same* model (same fingerprint) is merged; an earlier
  set from other weights is moved to ``superseded/<time>/`` and reported, never mixed in or deleted.

Example (pure: what a merge keeps)::

    >>> old = {"results": {"a": {"acc,none": 0.5}, "g": {}, "b": {}}, "group_subtasks": {"g": ["a", "b"]}}
    >>> new = {"results": {"b": {"acc,none": 0.7}, "c": {}}, "group_subtasks": {}}
    >>> merged, carried = merge_results(old, new)
    >>> sorted(merged["results"]), carried
    (['a', 'b', 'c'], ['a'])
"""

from __future__ import annotations

import datetime as _dt
import logging
import shutil
from pathlib import Path

from lawbench.errors import LawbenchError
from lawbench.utils.safe import check_name, child_path

log = logging.getLogger(__name__)

# lm-eval's per-task tables of a results file (plus lawbench's task hashes): merged task by task
PER_TASK_KEYS = ("results", "groups", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better",
                 "n-samples", "task_hashes")
SUPERSEDED = "superseded"


def run_dir_for(output_dir: str | Path, run_name: str) -> Path:
    """``output_dir / run_name``, refused when the name is not a plain folder name or leaves ``output_dir``."""
    check_name(run_name, "--run-name")
    return child_path(output_dir, run_name, "--run-name")  # created later, by the lock (after the data loads)


def _table(results: dict, key: str) -> dict:
    value = results.get(key)
    return value if isinstance(value, dict) else {}


def _names(results: dict) -> set[str]:
    return set(_table(results, "results")) | set(_table(results, "groups")) | set(_table(results, "group_subtasks"))


def _leaves(results: dict, name: str, seen: frozenset = frozenset()) -> set[str]:
    members = _table(results, "group_subtasks").get(name)
    if not isinstance(members, list) or name in seen:
        return {name}
    found: set[str] = set()
    for member in members:
        found |= _leaves(results, str(member), seen | {name})
    return found or {name}


def merge_results(old: dict, new: dict) -> tuple[dict, list[str]]:
    """``new`` plus the tasks of ``old`` that ``new`` does not cover; also the names of the leaf tasks carried.

    An old group is dropped when any of its leaf tasks is evaluated again (its aggregate would be stale).
    """
    new_names = _names(new)
    new_leaves = set().union(*(_leaves(new, n) for n in new_names)) if new_names else set()
    keep = {name for name in _names(old) if name not in new_names and not (_leaves(old, name) & new_leaves)}
    merged = dict(new)
    for key in PER_TASK_KEYS:
        old_part = {k: v for k, v in _table(old, key).items() if k in keep}
        if old_part or key in new:
            merged[key] = {**_table(new, key), **old_part}
    carried = sorted(name for name in keep if name not in _table(old, "group_subtasks"))
    return merged, carried


def previous_results(run_dir: Path) -> tuple[Path, dict] | None:
    """The newest readable results file already in ``run_dir`` (``None`` when there is none or it is unreadable)."""
    from lawbench.utils.io import read_json_strict

    found = sorted(run_dir.glob("results_*.json"))
    if not found:
        return None
    try:
        results = read_json_strict(found[-1])
    except LawbenchError as err:
        log.warning("earlier results %s cannot be read (%s); they are left in place, not merged", found[-1], err)
        return None
    if not isinstance(results, dict) or not isinstance(results.get("results"), dict):
        log.warning("earlier results %s are not an lm-eval results file; left in place, not merged", found[-1])
        return None
    return found[-1], results


def date_of(results_file: Path) -> str:
    return results_file.name[len("results_"):-len(".json")]


def same_model(old: dict, manifest: dict) -> bool:
    old_model = (old.get("lawbench") or {}).get("model") if isinstance(old.get("lawbench"), dict) else None
    old_print = old_model.get("fingerprint") if isinstance(old_model, dict) else None
    return bool(old_print) and old_print == (manifest.get("model") or {}).get("fingerprint")


def supersede(run_dir: Path, results_file: Path) -> Path:
    """Move the result set of ``results_file`` (results and its samples) to ``superseded/<time>/``."""
    date_id = date_of(results_file)
    target = run_dir / SUPERSEDED / (date_id or _dt.datetime.now().strftime("%Y%m%dT%H%M%S"))
    target.mkdir(parents=True, exist_ok=True)
    for path in [results_file, *run_dir.glob(f"samples_*_{date_id}.jsonl")]:
        path.replace(target / path.name)
    log.warning("earlier results in %s came from other weights; moved to %s (not merged)", run_dir, target)
    return target


def carry_samples(run_dir: Path, old_date: str, new_date: str, tasks: list[str]) -> list[Path]:
    """Copy the carried tasks' samples files under the new result set's time (the leaderboard pairs them)."""
    copied = []
    for task in tasks:
        source = run_dir / f"samples_{task}_{old_date}.jsonl"
        if source.is_file():
            target = run_dir / f"samples_{task}_{new_date}.jsonl"
            shutil.copyfile(source, target)
            copied.append(target)
    return copied
