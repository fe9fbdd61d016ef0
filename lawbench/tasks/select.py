"""Resolve ``--tasks`` into lm-eval objects: validate names, skip scenarios a local copy lacks.

lawbench's own tasks are indexed without lm-eval's ~10k built-in YAMLs (fast); a name lawbench does
not define is looked up among lm-eval's tasks, so ``--tasks lawshift,mmlu`` works too. A LawShift
group asked for on a local data dir that holds only some scenarios is narrowed to those scenarios,
with one warning that names what was skipped.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field

from lawbench.errors import DataError, TaskError
from lawbench.tasks import TASKS_DIR

log = logging.getLogger(__name__)


@dataclass
class TaskSelection:
    manager: object  # lm_eval.tasks.TaskManager
    names: list[str]
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)  # source -> {item: reason}


def split_task_arg(tasks: str | list[str]) -> list[str]:
    items = tasks.split(",") if isinstance(tasks, str) else [t for part in tasks for t in part.split(",")]
    names = [t.strip() for t in items if t.strip()]
    if not names:
        raise TaskError("no task given; run `lawbench tasks` to list them")
    return list(dict.fromkeys(names))


def task_manager(metadata: dict | None = None, include_defaults: bool = False):
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(TASKS_DIR), include_defaults=include_defaults, metadata=metadata or {})


def _lawshift_side(entry) -> tuple[str, str] | None:
    cfg = entry.cfg or {}
    kwargs = cfg.get("dataset_kwargs") or {}
    if str(cfg.get("task", "")).startswith("lawshift_") and "scenario" in kwargs and "side" in kwargs:
        return kwargs["scenario"], kwargs["side"]
    return None


def _prune_group(manager, name: str, keep_leaf) -> bool:
    """Drop unavailable leaves from group ``name`` (recursively); False when nothing is left."""
    from lm_eval.tasks._index import Entry, Kind

    index = manager.task_index
    entry = index[name]
    if entry.kind != Kind.GROUP:
        return keep_leaf(entry)
    members = entry.cfg.get("task") or []
    kept = [m for m in members if isinstance(m, str) and m in index and _prune_group(manager, m, keep_leaf)]
    kept += [m for m in members if not isinstance(m, str)]  # inline definitions are left to lm-eval
    if len(kept) != len(members):
        cfg = copy.deepcopy(entry.cfg)
        cfg["task"] = kept
        # A config-only entry: lm-eval builds it from ``cfg`` instead of re-reading the YAML.
        index[name] = Entry(name=name, kind=Kind.GROUP, yaml_path=None, cfg=cfg, tags=entry.tags)
    return bool(kept)


def select_tasks(tasks: str | list[str], data_dir: str | None = None, metadata: dict | None = None,
                 articles_mode: str = "new") -> TaskSelection:
    """Validate task names and narrow LawShift groups to the scenarios present locally."""
    from lawbench.tasks.lawshift.data import available_sides

    names = split_task_arg(tasks)
    manager = task_manager(metadata)
    unknown = [n for n in names if n not in manager.task_index]
    if unknown:
        log.info("looking up %s among lm-eval's own tasks", ", ".join(unknown))
        manager = task_manager(metadata, include_defaults=True)
        unknown = [n for n in names if n not in manager.task_index]
        if unknown:
            raise TaskError(f"unknown task '{unknown[0]}'; run `lawbench tasks` to list lawbench's tasks "
                            "(lm-eval's own task names work too)")

    selection = TaskSelection(manager, names)
    availability = available_sides(data_dir, articles_mode)
    if availability is None:
        return selection
    present, skipped = availability

    def keep_leaf(entry) -> bool:
        side = _lawshift_side(entry)
        return side is None or side in present

    from lm_eval.tasks._index import Kind

    for name in names:
        entry = manager.task_index[name]
        if entry.kind == Kind.GROUP and not _prune_group(manager, name, keep_leaf):
            from lawbench import sources

            folder = sources.local_source_dir("lawshift", data_dir)
            raise DataError(
                f"no LawShift scenario found in {folder}: expected scenario folders such as "
                f"action_explicit_extend/ holding original.json, poisoned.json, articles_original.json, "
                "articles_poisoned.json"
            )
    if skipped and any(n.startswith("lawshift") for n in names):
        details = "; ".join(f"{k} ({v})" for k, v in skipped.items())
        # A local copy with some scenario folders (the demo's three, a subset) is expected: say so calmly.
        # Anything else (a file missing inside a scenario folder) points at a damaged copy: a warning.
        expected = all(reason == "folder missing" for reason in skipped.values())
        log.log(logging.INFO if expected else logging.WARNING,
                "lawshift: scoring the scenarios present in the local copy; %d other item(s) left out (listed in "
                "the run's manifest, lawbench.skipped)%s", len(skipped), "" if expected else f": {details}")
        log.debug("lawshift: left out: %s", details)
        selection.skipped["lawshift"] = skipped
    return selection

