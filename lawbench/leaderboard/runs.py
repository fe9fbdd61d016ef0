"""Find and read eval runs: lm-eval's ``results_<time>.json`` (with lawbench's manifest) and samples.

A run folder is what ``lawbench eval`` (or plain ``lm_eval --output_path``) writes. When a folder
holds several results files the newest wins (the names carry the time), and only the samples files
written with it (same ``<time>`` suffix) are read. Run folders are found anywhere under the folders
given (:func:`run_folders`): the pipeline's ``OUT/runs/<stage>/`` and the recipes'
``OUT/<stage>/eval/<stage>/`` alike, from one or several folders.

Run folders may come from anyone, so they are read as data and checked (:func:`check_results`): the
tables the site reads must have the right shapes, ``NaN`` / ``Infinity`` become ``None``, and anything
else is one :class:`~lawbench.errors.DataError` line naming the file and the entry.

Example:
    >>> from pathlib import Path
    >>> load_runs(Path("/nonexistent/runs"))
    Traceback (most recent call last):
    ...
    lawbench.errors.LawbenchError: /nonexistent/runs: no such folder (pass --runs a folder that holds eval runs, e.g. OUT/runs or a recipe's OUT)
"""  # noqa: E501

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lawbench.errors import DataError, LawbenchError, first_line
from lawbench.utils.io import read_json_strict, read_text_strict

RESULTS_PREFIX, SAMPLES_PREFIX = "results_", "samples_"


@dataclass
class Sample:
    """One logged item of a task, as lm-eval writes it (only what the leaderboard uses)."""

    doc_id: int
    doc: dict
    target: str
    prompt: str
    resps: list
    filtered_resps: list
    doc_hash: str | None
    prompt_hash: str | None
    target_hash: str | None
    continuations: list[str]  # loglikelihood tasks: the candidate answers, in request order
    values: dict[str, Any]  # metric name -> this item's value


@dataclass
class Run:
    """One eval run folder."""

    id: str  # the folder name; where two runs share one, their path under the --runs folder
    folder: Path
    results_file: Path
    results: dict
    samples: dict[str, dict[str, dict[int, Sample]]] = field(default_factory=dict)  # task -> filter -> doc_id
    root: Path | None = None  # the --runs folder it was found under (paths on the site are relative to it)

    @property
    def manifest(self) -> dict:
        manifest = self.results.get("lawbench")
        return manifest if isinstance(manifest, dict) else {}

    @property
    def stage(self) -> str:
        return str(self.manifest.get("stage") or self.id)

    @property
    def parent(self) -> str | None:
        parent = self.manifest.get("parent")
        return str(parent) if parent else None


MAX_DEPTH = 6  # OUT/<stage>/eval/<stage>/ is 3 deep; deeper trees are checkpoints and caches, not runs


def run_folders(runs_dir: Path) -> list[Path]:
    """The run folders under ``runs_dir``: itself when it is a run, else every folder below it (up to
    :data:`MAX_DEPTH` deep, hidden folders and symlinks skipped) that holds a results file; a run
    folder's own sub-folders are not searched."""
    if not runs_dir.is_dir():
        raise LawbenchError(f"{runs_dir}: no such folder (pass --runs a folder that holds eval runs, "
                            "e.g. OUT/runs or a recipe's OUT)")
    found = []
    for folder, subfolders, _ in os.walk(runs_dir):
        here = Path(folder)
        if _results_files(here):
            found.append(here)
            subfolders.clear()
            continue
        depth = len(here.relative_to(runs_dir).parts)
        subfolders[:] = sorted(d for d in subfolders if depth < MAX_DEPTH and not d.startswith("."))
    if not found:
        raise LawbenchError(f"{runs_dir}: no eval runs found (expected results_*.json from lawbench eval in it or "
                            f"in a folder below it, e.g. {runs_dir}/<run>/ or {runs_dir}/<stage>/eval/<stage>/)")
    return sorted(found)


def _results_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob(f"{RESULTS_PREFIX}*.json") if p.is_file())


def run_ids(roots: list[Path], folders: list[Path]) -> list[str]:
    """A unique id per run folder: its name, else as many of its parent folders as it takes, counted from
    the folder that holds all the ``--runs`` folders (never an absolute path).

    >>> run_ids([Path("a")], [Path("a/pt/eval/pt"), Path("a/sft/eval/sft")])
    ['pt', 'sft']
    >>> run_ids([Path("x/one"), Path("x/two")], [Path("x/one/base"), Path("x/two/base"), Path("x/two/pt")])
    ['one/base', 'two/base', 'pt']
    """
    top = Path(os.path.commonpath([os.path.abspath(root.parent) for root in roots]))
    parts = [Path(os.path.abspath(folder)).relative_to(top).parts for folder in folders]
    ids = []
    for mine in parts:
        for k in range(1, len(mine) + 1):
            if sum(other[-k:] == mine[-k:] for other in parts) == 1:
                ids.append("/".join(mine[-k:]))
                break
        else:  # its whole path ends another's (a/base and b/a/base): that one gets the longer id
            ids.append("/".join(mine))
    return ids


def load_runs(runs_dirs: Path | str | Iterable[Path | str]) -> list[Run]:
    """Every run under one or several folders, newest results file per run folder, with its samples.

    Example (``OUT`` of the recipes' examples, or two pipelines' ``runs/``)::

        load_runs("out")                          # out/pt/eval/pt, out/sft/eval/sft, ...
        load_runs(["first/runs", "second/runs"])
    """
    roots = [Path(runs_dirs)] if isinstance(runs_dirs, (str, os.PathLike)) else [Path(r) for r in runs_dirs]
    if not roots:
        raise LawbenchError("no --runs folder given")
    found: dict[str, tuple[Path, Path]] = {}  # a folder given twice (out and out/pt) is read once
    for root in roots:
        for folder in run_folders(root):
            found.setdefault(os.path.realpath(folder), (root, folder))
    pairs = list(found.values())
    runs = []
    for (root, folder), run_id in zip(pairs, run_ids(roots, [folder for _, folder in pairs])):
        run = load_run(folder)
        run.id, run.root = run_id, root
        runs.append(run)
    return runs


# Tables of a results file: task name -> value of this type (lm-eval's layout plus lawbench's task hashes).
TASK_TABLES = {"results": dict, "groups": dict, "group_subtasks": list, "configs": dict, "versions": (str, int, float),
               "n-shot": (int, float, str), "higher_is_better": dict, "n-samples": dict, "task_hashes": str}
# Manifest entries the site reads, and their types.
MANIFEST_TYPES = {"model": dict, "versions": dict, "requests": dict, "timings": dict, "chat_template": dict,
                  "data_files": dict, "seeds": dict, "stage": str, "parent": str, "training": dict}


def _kind(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return " or ".join(dict.fromkeys(names[t] for t in types))


def check_results(results, path: Path) -> dict:
    """``results`` when it has the shapes the leaderboard reads; else a one-line :class:`DataError`."""
    if not isinstance(results, dict) or not isinstance(results.get("results"), dict):
        raise DataError(f"{path}: not an lm-eval results file (no 'results' object)")
    for key, types in TASK_TABLES.items():
        table = results.get(key)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise DataError(f"{path}: '{key}' must be an object of tasks, got {type(table).__name__}")
        for task, value in table.items():
            if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
                raise DataError(f"{path}: {key}[{task!r}] must be {_kind(types)}, got {type(value).__name__}")
            if key == "group_subtasks" and not all(isinstance(m, str) for m in value or []):
                raise DataError(f"{path}: group_subtasks[{task!r}] must list task names")
    manifest = results.get("lawbench")
    if manifest is not None and not isinstance(manifest, dict):
        raise DataError(f"{path}: the 'lawbench' manifest must be an object, got {type(manifest).__name__}")
    for key, kind in MANIFEST_TYPES.items():
        value = (manifest or {}).get(key)
        if value is not None and not isinstance(value, kind):
            raise DataError(f"{path}: lawbench.{key} must be {_kind(kind)}, got {type(value).__name__}")
    config = results.get("config")
    if config is not None and not isinstance(config, dict):
        raise DataError(f"{path}: 'config' must be an object, got {type(config).__name__}")
    return results


def load_run(folder: Path) -> Run:
    results_file = _results_files(folder)[-1]  # names carry the time: the last one is the newest
    results = check_results(read_json_strict(results_file, nan_as_none=True), results_file)
    run = Run(id=folder.name, folder=folder, results_file=results_file, results=results)
    date_id = results_file.name[len(RESULTS_PREFIX):-len(".json")]
    suffix = f"_{date_id}.jsonl"
    for path in sorted(folder.glob(f"{SAMPLES_PREFIX}*{suffix}")):
        task = path.name[len(SAMPLES_PREFIX):-len(suffix)]
        run.samples[task] = read_samples(path)
    return run


def read_samples(path: Path) -> dict[str, dict[int, Sample]]:
    """``{filter: {doc_id: Sample}}`` of one samples file; a malformed line names the file and line."""
    by_filter: dict[str, dict[int, Sample]] = {}
    for number, line in enumerate(read_text_strict(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_constant=lambda _: None)  # NaN / Infinity: no value
            if not isinstance(record, dict):
                raise TypeError(f"a sample is an object, got {type(record).__name__}")
            sample = _sample(record)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as err:
            raise DataError(f"{path} line {number}: not a valid lm-eval sample "
                            f"({type(err).__name__}: {first_line(err, limit=200)})") from None
        by_filter.setdefault(str(record.get("filter", "none")), {})[sample.doc_id] = sample
    return by_filter


def _arguments(record: dict) -> list[list]:
    """Request arguments in either layout: lm-eval's tracker dict or a plain list of tuples."""
    args = record.get("arguments") or []
    if isinstance(args, dict):
        return [[value for _, value in sorted(group.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[-1]))]
                for _, group in sorted(args.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[-1]))]
    return [list(a) if isinstance(a, (list, tuple)) else [a] for a in args]


def _sample(record: dict) -> Sample:
    args = _arguments(record)
    metrics = record.get("metrics")
    if not isinstance(metrics, list):  # plain lm-eval files always list them; be lenient with others
        metrics = [k for k, v in record.items() if isinstance(v, (int, float)) and k != "doc_id"]
    doc = record.get("doc")
    for key in ("resps", "filtered_resps"):
        if not isinstance(record.get(key) or [], list):
            raise TypeError(f"'{key}' must be a list")
    for key in ("doc_hash", "prompt_hash", "target_hash"):
        if not isinstance(record.get(key), (str, type(None))):
            raise TypeError(f"'{key}' must be a string")
    if not isinstance(record.get("doc_id"), (int, str)) or isinstance(record.get("doc_id"), bool):
        raise TypeError("'doc_id' must be an integer")
    return Sample(
        doc_id=int(record["doc_id"]),
        doc=doc if isinstance(doc, dict) else {"value": doc},
        target=str(record.get("target", "")),
        prompt=str(args[0][0]) if args and args[0] else "",
        resps=record.get("resps") or [],
        filtered_resps=record.get("filtered_resps") or [],
        doc_hash=record.get("doc_hash"),
        prompt_hash=record.get("prompt_hash"),
        target_hash=record.get("target_hash"),
        continuations=[str(a[1]) for a in args if len(a) > 1 and isinstance(a[1], str)],
        values={m: record.get(m) for m in metrics if m in record},
    )
