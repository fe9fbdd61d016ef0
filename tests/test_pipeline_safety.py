"""Pipeline hardening: stage names cannot escape, deletions stay in checkpoints/, one pipeline per folder,
changed stages are refused or retrained, interrupted stages resume, YAML oddities are one-line errors.

The stages run through ``tests/support/fake_launcher.py`` (files only, no training), so these take seconds.
"""

from __future__ import annotations

import json
import sys

import pytest

from lawbench.errors import LawbenchError
from lawbench.pipeline import make_plan, run_pipeline
from lawbench.utils.lock import folder_lock
from lawbench.utils.safe import remove_trainer_output
from tests.support import REPO
from tests.support.hostile import run_cli

LAUNCHER = [sys.executable, str(REPO / "tests" / "support" / "fake_launcher.py")]


@pytest.fixture()
def calls(tmp_path, monkeypatch):
    log = tmp_path / "calls.jsonl"
    log.touch()
    monkeypatch.setenv("FAKE_LAUNCHER_LOG", str(log))

    def read() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    return read


def plan(out, stages="sft,dpo", **config):
    return make_plan("m", stages, str(out), {"launcher": LAUNCHER, "eval": {"tasks": "t"},
                                             "defaults": {"max_steps": 2}, **config})


@pytest.mark.parametrize("name", ["..", ".", "/tmp/x", "a/b", "-x", "", "../../etc"])
def test_stage_names_cannot_leave_the_pipeline_folder(tmp_path, name):
    with pytest.raises(LawbenchError, match="not a valid name|--stages is required"):
        make_plan("m", "sft," + name if name else "", str(tmp_path / "out"), {name: {"recipe": "sft"}} if name else {})
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_yaml_oddities_are_one_line_errors_or_work(tmp_path):
    assert [s.name for s in make_plan("m", None, str(tmp_path), {"stages": "sft"}).stages] == ["sft"]  # not s,f,t
    flags = make_plan("m", "sft", str(tmp_path), {"sft": {"dataset": ["{out}/d.jsonl"], "note": "{x} {0} {"}})
    assert flags.stages[0].flags == {"dataset": [f"{tmp_path}/d.jsonl"], "note": "{x} {0} {"}
    for config, message in (({"stages": {"a": 1}}, "must be a list"),
                            ({"sft": ["x"], "stages": "sft"}, "must be a mapping"),
                            ({"stages": ["sft", "sft"]}, "given twice"), ({"stages": ["base"]}, "starting model"),
                            ({"sft": {"parent": ["x"]}, "stages": "sft"}, "must be names")):
        with pytest.raises(LawbenchError, match=message):
            make_plan("m", None, str(tmp_path), config)


def test_deletion_only_of_trainer_output_inside_checkpoints(tmp_path):
    checkpoints = tmp_path / "out" / "checkpoints"
    (checkpoints / "sft" / "checkpoint-3").mkdir(parents=True)
    keep = tmp_path / "out" / "precious"
    (keep / "notes").mkdir(parents=True)
    (checkpoints / "mine").mkdir()
    (checkpoints / "mine" / "thesis.tex").write_text("x", encoding="utf-8")
    for folder in (keep, tmp_path / "out", checkpoints / "mine", checkpoints / ".." / "precious"):
        with pytest.raises(LawbenchError, match="refusing to delete"):
            remove_trainer_output(folder, checkpoints)
    (checkpoints / "link").symlink_to(keep, target_is_directory=True)
    with pytest.raises(LawbenchError, match="refusing to delete"):
        remove_trainer_output(checkpoints / "link", checkpoints)
    remove_trainer_output(checkpoints / "sft", checkpoints)
    assert not (checkpoints / "sft").exists() and (keep / "notes").is_dir() and (checkpoints / "mine").is_dir()


def test_a_planted_symlink_stage_folder_is_refused(tmp_path, calls):
    outside = tmp_path / "elsewhere"
    (outside / "important").mkdir(parents=True)
    (tmp_path / "out" / "checkpoints").mkdir(parents=True)
    (tmp_path / "out" / "checkpoints" / "sft").symlink_to(outside, target_is_directory=True)
    with pytest.raises(LawbenchError, match="outside"):
        run_pipeline(plan(tmp_path / "out", "sft"))
    assert (outside / "important").is_dir()


def test_changed_configuration_is_refused_then_retrained_with_the_flag(tmp_path, calls):
    out = tmp_path / "out"
    assert run_pipeline(plan(out)) == {"base": "ran", "sft": "ran", "dpo": "ran"}
    assert run_pipeline(plan(out)) == {"base": "skipped", "sft": "skipped", "dpo": "skipped"}
    changed = plan(out, sft={"max_steps": 5})
    with pytest.raises(LawbenchError, match=r"stage\(s\) sft, dpo .* --retrain-changed"):
        run_pipeline(changed)  # dpo changes too: its parent changed
    assert len(calls()) == 3  # nothing ran
    status, _, err = run_cli(["pipeline", "--model", "m", "--stages", "sft,dpo", "--output-dir", str(out),
                              "--config", str(_yaml(tmp_path, {"launcher": LAUNCHER, "eval": {"tasks": "t"},
                                                               "sft": {"max_steps": 5}}))])
    assert status == 2 and "--retrain-changed" in err and len(err.strip().splitlines()) == 1
    changed.retrain_changed = True
    assert run_pipeline(changed) == {"base": "skipped", "sft": "ran", "dpo": "ran"}
    assert run_pipeline(plan(out, sft={"max_steps": 5})) == {"base": "skipped", "sft": "skipped", "dpo": "skipped"}
    # changed eval settings: only evaluated again (the run folder merges), nothing retrained
    again = plan(out, eval={"tasks": "t,u"}, sft={"max_steps": 5})
    assert run_pipeline(again) == {"base": "ran", "sft": "evaluated", "dpo": "evaluated"}


def test_interrupted_stage_resumes_from_its_latest_checkpoint(tmp_path, calls, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("FAKE_LAUNCHER_INTERRUPT", "sft")
    with pytest.raises(LawbenchError, match="training sft from base failed"):
        run_pipeline(plan(out, "sft"))
    monkeypatch.delenv("FAKE_LAUNCHER_INTERRUPT")
    assert run_pipeline(plan(out, "sft")) == {"base": "skipped", "sft": "ran"}
    recipe = calls()[-1]
    assert recipe[recipe.index("--resume_from_checkpoint") + 1] == str(out / "checkpoints" / "sft" / "checkpoint-10")
    # interrupted again, but with another configuration: restarted from the parent, not resumed
    monkeypatch.setenv("FAKE_LAUNCHER_INTERRUPT", "dpo")
    with pytest.raises(LawbenchError):
        run_pipeline(plan(out, "sft,dpo"))
    monkeypatch.delenv("FAKE_LAUNCHER_INTERRUPT")
    assert run_pipeline(plan(out, "sft,dpo", dpo={"max_steps": 9})) == {"base": "skipped", "sft": "skipped",
                                                                         "dpo": "ran"}
    assert "--resume_from_checkpoint" not in calls()[-1]


def test_one_pipeline_per_folder(tmp_path, calls):
    out = tmp_path / "out"
    with folder_lock(out, "pipeline folder"):
        with pytest.raises(LawbenchError, match=r"pipeline folder .* is in use by pid \d+"):
            run_pipeline(plan(out))
    assert calls() == []


def _yaml(tmp_path, config) -> str:
    import yaml

    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)
