"""The lm-eval task definitions: generated YAMLs, the catalog, group narrowing."""

from __future__ import annotations

import logging

import pytest

from lawbench.errors import DataError, TaskError
from lawbench.tasks import TASKS_DIR
from lawbench.tasks.catalog import task_catalog
from lawbench.tasks.lawshift import _generate_configs
from lawbench.tasks.lawshift.scenarios import SCENARIOS
from lawbench.tasks.select import select_tasks


def test_generated_yamls_are_current():
    folder = TASKS_DIR / "lawshift"
    for name, text in _generate_configs.render().items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"re-run _generate_configs: {name} is stale"


def test_catalog_lists_every_scenario_side():
    catalog = task_catalog()
    assert ({"lawshift", "lawshift_original", "lawshift_poisoned", "legal_mmlu", "legal_mmlu_gen"}
            <= set(catalog["groups"]))
    assert len([t for t in catalog["subtasks"] if t.startswith("lawshift_")]) == 62 == 2 * len(SCENARIOS)
    assert catalog["groups"]["lawshift"] == ["lawshift_original", "lawshift_poisoned"]
    assert "lawshift_term_extremity_out_poisoned" in catalog["groups"]["lawshift_poisoned"]


def test_group_is_narrowed_to_local_scenarios(lawshift_dir, caplog):
    caplog.set_level(logging.DEBUG, logger="lawbench.tasks.select")
    selection = select_tasks("lawshift", str(lawshift_dir), {"data_dir": str(lawshift_dir)})
    loaded = selection.manager.load(selection.names)
    assert sorted(loaded["tasks"]) == sorted(
        f"lawshift_{s}_{side}" for s in ("subject_explicit_extend", "object_explicit_reduce", "term_up")
        for side in ("original", "poisoned"))
    assert set(loaded["groups"]) == {"lawshift", "lawshift_original", "lawshift_poisoned"}
    notes = [r for r in caplog.records if "left out" in r.getMessage()]  # a subset is expected: no warning
    assert [r.levelname for r in notes] == ["INFO", "DEBUG"] and "term_down (folder missing)" in notes[1].getMessage()
    assert len(selection.skipped["lawshift"]) == 28


def test_no_scenario_present_is_an_error(tmp_path):
    (tmp_path / "lawshift").mkdir()
    with pytest.raises(DataError, match="no LawShift scenario found"):
        select_tasks("lawshift", str(tmp_path))


def test_unknown_task_is_an_error():
    with pytest.raises(TaskError, match="unknown task 'no_such_task'"):
        select_tasks("lawshift,no_such_task")


def test_task_list_parsing():
    selection = select_tasks(" lawshift_original , lawshift_original,lawshift_term_up_poisoned ")
    assert selection.names == ["lawshift_original", "lawshift_term_up_poisoned"]
