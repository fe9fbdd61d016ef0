"""`lawbench runs DIR...`: one line per eval run found, as a table or as JSON."""

from __future__ import annotations

import json

import pytest

from lawbench.cli import main
from tests.support.leaderboard_runs import STAGES, write_fixture_runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return write_fixture_runs(tmp_path_factory.mktemp("pipeline"))


def test_runs_json_lists_every_stage_with_lineage_and_primary_scores(runs, capsys):
    # the same runs reached twice (a folder of runs and one run folder) are listed once
    assert main(["runs", str(runs), str(runs / "sft"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out.splitlines()[-1])["runs"]
    assert [(r["stage"], r["parent"]) for r in rows] == [("base", None), ("pt", "base"), ("sft", "pt"),
                                                          ("dpo", "sft"), ("kto", "sft")]
    sft = rows[2]
    assert set(sft["tasks"]) >= {"lawshift", "mc_demo"} and sft["subtasks"] == 8
    assert sft["scores"]["mc_demo"]["metric"] == "acc"
    # the family's primary metric, as on the site's overview (lawbench.tasks.primary)
    assert sft["scores"]["lawshift"]["metric"] == "verdict_acc" and 0 <= sft["scores"]["lawshift"]["value"] <= 1


def test_runs_table_and_errors(runs, tmp_path, capsys):
    assert main(["runs", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "5 eval runs" in out and all(stage in out for stage, _ in STAGES) and "verdict_acc" in out
    assert main(["runs", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
