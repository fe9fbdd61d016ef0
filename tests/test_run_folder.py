"""Run folders: names that cannot leave --output-dir, one writer, earlier tasks kept, other weights set aside."""

from __future__ import annotations

import json
import os

import pytest

from lawbench.errors import LawbenchError
from lawbench.evaluate import EvalConfig, latest_results, run_eval
from lawbench.models.resolve import ModelOptions
from lawbench.run_folder import merge_results, run_dir_for
from lawbench.utils.lock import folder_lock
from tests.support.hostile import run_cli


@pytest.mark.parametrize("name", ["../x", "/tmp/abs", "a/b", "..", ".", "-rf", "x\ny"])
def test_run_names_stay_inside_output_dir(tmp_path, name):
    with pytest.raises(LawbenchError, match="--run-name .* is not a valid name"):
        run_dir_for(tmp_path / "runs", name)


def test_a_symlinked_run_folder_pointing_outside_is_refused(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "runs" / "r").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(LawbenchError, match="outside"):
        run_dir_for(tmp_path / "runs", "r")


def test_merge_keeps_other_tasks_replaces_the_same_and_drops_stale_groups():
    old = {"results": {"g": {"acc,none": 0.5}, "a": {"acc,none": 0.4}, "b": {"acc,none": 0.6}, "c": {}},
           "group_subtasks": {"g": ["a", "b"]}, "versions": {"a": 1, "b": 1, "c": 2}, "n-samples": {"c": {}}}
    new = {"results": {"b": {"acc,none": 0.9}}, "group_subtasks": {"b": []}, "versions": {"b": 1}}
    merged, carried = merge_results(old, new)
    assert merged["results"] == {"b": {"acc,none": 0.9}, "a": {"acc,none": 0.4}, "c": {}}  # g's aggregate: stale
    assert carried == ["a", "c"] and merged["versions"] == {"b": 1, "a": 1, "c": 2} and "c" in merged["n-samples"]
    assert merge_results(old, {"results": dict(old["results"]), "group_subtasks": old["group_subtasks"]})[1] == []


def config(model, data_dir, out, tasks, **kw) -> EvalConfig:
    options = ModelOptions(str(model), max_length=kw.pop("max_length", None))
    return EvalConfig(model=options, tasks=tasks, data_dir=str(data_dir), limit=2, gen_kwargs="max_gen_toks=3",
                      output_dir=str(out), run_name="r", **kw)


def test_eval_into_one_run_folder_merges_keys_the_cache_and_locks(tiny_model, lawshift_dir, tmp_path, monkeypatch):
    out = tmp_path / "runs"
    first = run_eval(config(tiny_model, lawshift_dir, out, "lawshift_term_up_original"))
    monkeypatch.setattr("sys.argv", ["lawbench", "eval", "--base-url", "http://me:tok@h:1/v1?key=x", "--api-key=s"])
    second = run_eval(config(tiny_model, lawshift_dir, out, "lawshift_term_up_poisoned"))
    results = json.loads(latest_results(out / "r").read_text(encoding="utf-8"))
    assert {"lawshift_term_up_original", "lawshift_term_up_poisoned"} <= set(results["results"])
    assert results["lawbench"]["merged"]["tasks"] == ["lawshift_term_up_original"]
    assert results["lawbench"]["command"] == ["lawbench", "eval", "--base-url", "http://h:1/v1", "--api-key=***"]
    assert len(list((out / "r").glob("results_*.json"))) == 1
    date = latest_results(out / "r").name[len("results_"):-len(".json")]
    assert sorted(p.name for p in (out / "r").glob("samples_*.jsonl")) == [
        f"samples_lawshift_term_up_original_{date}.jsonl", f"samples_lawshift_term_up_poisoned_{date}.jsonl"]
    assert oct(latest_results(out / "r").stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert second.results["lawbench"]["requests"]["computed"] == 2
    # the same request at another context length is not answered from the cache
    third = run_eval(config(tiny_model, lawshift_dir, out, "lawshift_term_up_poisoned", max_length=512))
    assert third.results["lawbench"]["requests"]["computed"] == 2
    assert "lawshift_term_up_original" in third.results["results"]  # still kept
    # a damaged cache is set aside and reported, and the run still completes
    for db in (out / "r" / "cache").glob("*.db"):
        db.write_bytes(b"garbage" * 200)
    fourth = run_eval(config(tiny_model, lawshift_dir, out, "lawshift_term_up_poisoned", max_length=512))
    assert fourth.results["lawbench"]["request_cache"]["set_aside"].startswith("requests-")
    # a second writer gets one line naming the holder
    with folder_lock(out / "r", "run folder"):
        status, _, err = run_cli(["eval", "--model", str(tiny_model), "--tasks", "lawshift_term_up_original",
                                  "--data-dir", str(lawshift_dir), "--output-dir", str(out), "--run-name", "r"])
    assert status == 2 and f"is in use by pid {os.getpid()}" in err and len(err.strip().splitlines()) == 1
    status, _, err = run_cli(["eval", "--model", str(tiny_model), "--output-dir", str(out), "--run-name", "../x"])
    assert status == 2 and "not a valid name" in err and not (tmp_path / "x").exists()
    assert first.run_dir == out / "r"


def _umask() -> int:
    from lawbench.utils.io import current_umask

    return current_umask()


def _results_set(folder, date, fingerprint, tasks):
    folder.mkdir(parents=True, exist_ok=True)
    results = {"results": {t: {"acc,none": 0.5} for t in tasks}, "lawbench": {"model": {"fingerprint": fingerprint}}}
    (folder / f"results_{date}.json").write_text(json.dumps(results), encoding="utf-8")
    for task in tasks:
        (folder / f"samples_{task}_{date}.jsonl").write_text("{}\n", encoding="utf-8")


def test_results_of_other_weights_are_moved_aside_and_unreadable_ones_left_alone(tmp_path):
    from lawbench.evaluate import _merge_earlier

    run = tmp_path / "r"
    _results_set(run, "2026-01-01T00-00-00", "old-weights", ["a"])
    merged, carry, remove_older, _ = _merge_earlier(run, {"results": {"b": {}}}, {"fingerprint": "new-weights"})
    assert carry is None and remove_older and set(merged["results"]) == {"b"}
    aside = run / "superseded" / "2026-01-01T00-00-00"
    assert sorted(p.name for p in aside.iterdir()) == ["results_2026-01-01T00-00-00.json",
                                                       "samples_a_2026-01-01T00-00-00.jsonl"]
    (run / "results_2026-02-01T00-00-00.json").write_text("{broken", encoding="utf-8")
    _, carry, remove_older, _ = _merge_earlier(run, {"results": {"b": {}}}, {"fingerprint": "new-weights"})
    assert carry is None and not remove_older  # the unreadable set stays where it is
