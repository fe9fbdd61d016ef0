"""Runs from several folders and from the recipes' ``OUT/<stage>/eval/<stage>/`` layout make one site."""

from __future__ import annotations

import json
import shutil

from lawbench.leaderboard import build_data
from lawbench.leaderboard.site import embed_json
from tests.support.hostile import run_cli
from tests.support.leaderboard_runs import DATE, SCENARIOS, write_fixture_runs


def _recipe_layout(pipeline, out, stage):
    """Move a pipeline's run and trainer state of ``stage`` to where ``lawbench recipe --then-eval`` puts them."""
    run = out / stage / "eval" / stage
    run.parent.mkdir(parents=True)
    shutil.move(pipeline / "runs" / stage, run)
    shutil.move(pipeline / "checkpoints" / stage / "trainer_state.json", out / stage / "trainer_state.json")
    results_file = run / f"results_{DATE}.json"
    results = json.loads(results_file.read_text(encoding="utf-8"))
    results["lawbench"]["model"]["path"] = results["lawbench"]["model"]["argument"] = str(out / stage)
    results_file.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")


def test_runs_combine_across_folders_and_layouts(tmp_path):
    pipeline = tmp_path / "pipeline"
    write_fixture_runs(pipeline, cases_per_side=2, scenarios=SCENARIOS[:1])
    out = tmp_path / "out"  # pt, sft and dpo trained and scored by the recipes, one folder each
    for stage in ("pt", "sft", "dpo"):
        _recipe_layout(pipeline, out, stage)
    more = tmp_path / "more" / "runs"  # kto in a folder of its own
    more.mkdir(parents=True)
    shutil.move(pipeline / "runs" / "kto", more / "kto")

    data, _ = build_data([pipeline / "runs", out, more], iters=100)
    assert [(s["id"], s["parent"]) for s in data["stages"]] == [
        ("base", None), ("pt", "base"), ("sft", "pt"), ("dpo", "sft"), ("kto", "sft")]  # lineage across folders
    assert data["curves"]["sft"]["source"] == "out/sft/trainer_state.json"  # found next to the recipe's model
    assert data["runs"]["sft"]["lawbench"]["model"]["path"] == "sft"  # relative to its --runs folder
    assert str(tmp_path) not in embed_json(data)
    # one primary metric per family in every view: LawShift's is verdict_acc in the overview as in the shift view
    assert {r["metric"] for r in data["rows"] if r["primary"] and r["node"].startswith("lawshift")} == {"verdict_acc"}
    assert data["lawshift"]["primary"] == "verdict_acc"
    # each stage pair counts the items that flipped on each task's primary metric (the views open on the busiest)
    primary = {r["node"]: r["metric"] for r in data["rows"] if r["primary"]}
    flipped = {task: sum(len(e["metrics"][primary[task]][kind]) for e in entries if (e["a"], e["b"]) == ("base", "pt")
                         for kind in ("fixed", "broken")) for task, entries in data["transitions"].items()}
    assert data["pairs"][0] == {"a": "base", "b": "pt", "relation": "parent", "changes": sum(flipped.values()),
                                "lawshift_changes": sum(n for t, n in flipped.items() if t.startswith("lawshift_"))}
    assert 0 < data["pairs"][0]["lawshift_changes"] < data["pairs"][0]["changes"]

    # the command line: --runs repeated; a folder given twice (out and out/pt) is read once
    status, stdout, err = run_cli(["leaderboard", "build", "--runs", str(out), "--runs", str(out / "pt"),
                                   "--runs", str(more), "--out", str(tmp_path / "site"), "--bootstrap-iters", "100",
                                   "--published", "none"])  # stage columns only (published ones: test_reference)
    assert status == 0 and "leaderboard written to" in stdout, err
    built = (tmp_path / "site" / "exports" / "overview.md").read_text(encoding="utf-8")
    assert built.splitlines()[0].split("|")[3:-1] == [" pt ", " sft ", " dpo ", " kto "]

    status, _, err = run_cli(["leaderboard", "build", "--runs", str(out), "--runs", str(tmp_path / "site"),
                              "--out", str(tmp_path / "s2")])
    assert status == 2 and "site: no eval runs found" in err and "<stage>/eval/<stage>/" in err


def test_runs_with_the_same_folder_name_keep_apart(tmp_path):
    first = write_fixture_runs(tmp_path / "first", cases_per_side=2, scenarios=SCENARIOS[:1])
    second = tmp_path / "second" / "runs"
    second.mkdir(parents=True)
    shutil.copytree(first / "sft", second / "sft")
    data, _ = build_data([first, second], iters=100)
    ids = [s["id"] for s in data["stages"]]
    assert "first/runs/sft" in ids and "second/runs/sft" in ids and "dpo" in ids
