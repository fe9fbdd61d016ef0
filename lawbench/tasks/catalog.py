"""What ``lawbench tasks`` lists: every group with its members, and every subtask."""

from __future__ import annotations


def task_catalog() -> dict:
    """``{"groups": {group: [members]}, "subtasks": [names]}`` of lawbench's own tasks."""
    from lawbench.tasks.select import task_manager

    manager = task_manager()
    index = manager.task_index
    groups = {name: [m for m in (index[name].cfg or {}).get("task", []) if isinstance(m, str)]
              for name in manager.all_groups}
    return {"groups": groups, "subtasks": list(manager.all_subtasks)}
