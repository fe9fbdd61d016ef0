"""Property: random and mutated run folders, samples files and prediction files fed to ``lawbench score`` and
``lawbench leaderboard build`` end in success or in one ``lawbench: error:`` line, never a traceback."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.hostile import VALUES, dump, mutate_file, run_cli
from tests.support.leaderboard_runs import SCENARIOS, write_fixture_runs

SETTINGS = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def assert_clean(status: int, err: str) -> None:
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("lawbench: error:")]
    if status == 0:
        assert not errors, err
    else:
        assert status == 2 and len(errors) == 1, err  # 1 would be the top-level handler's "unexpected ..."


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    return write_fixture_runs(root, cases_per_side=2, scenarios=SCENARIOS[:1])


@SETTINGS
@given(data=st.data())
def test_leaderboard_build_on_mutated_run_folders(small_runs, data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(small_runs.parent, root / "out")
        runs = root / "out" / "runs"
        files = sorted(p for p in runs.parent.rglob("*") if p.suffix in (".json", ".jsonl"))  # + trainer states
        for _ in range(data.draw(st.integers(1, 2))):
            mutate_file(data.draw(st.sampled_from(files)), data)
        status, _, err = run_cli(["leaderboard", "build", "--runs", str(runs), "--out", str(root / "site"),
                                  "--bootstrap-iters", "100"])
        assert_clean(status, err)


@SETTINGS
@given(data=st.data(), kind=st.sampled_from(["samples", "oc_samples", "lawbench", "pairs"]))
def test_score_on_mutated_prediction_files(small_runs, data, kind):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if kind == "samples":
            source = sorted((small_runs / "sft").glob("samples_lawshift_*.jsonl"))[0]
            path = root / source.name
            shutil.copyfile(source, path)
            argv = ["score", "--predictions", str(path), "--json"]
        elif kind == "oc_samples":
            path = root / "samples_lawbench_oc_3_4_2026-01-01T00-00-00.jsonl"
            line = {"doc_id": 0, "doc": {"instruction": "i", "question": "q", "answer": "罪名:盗窃"},
                    "arguments": {"gen_args_0": {"arg_0": "p", "arg_1": {"until": []}}},
                    "resps": [["罪名：盗窃"]], "filtered_resps": ["罪名：盗窃"]}
            path.write_text(dump(line) + "\n" + dump(line) + "\n", encoding="utf-8")
            argv = ["score", "--predictions", str(path), "--json"]
        elif kind == "lawbench":
            path = root / "3-4.json"
            records = {str(i): {"origin_prompt": "q", "prediction": "[刑期]4个月", "refr": "刑期:4个月"}
                       for i in range(3)}
            path.write_text(dump(records), encoding="utf-8")
            argv = ["score", "--task", "3-4", "--predictions", str(path), "--json"]
        else:
            path = root / "pairs.jsonl"
            path.write_text("\n".join(dump({"prediction": "甲犯盗窃罪", "reference": "甲犯盗窃罪"}) for _ in range(2)),
                            encoding="utf-8")
            argv = ["score", "--predictions", str(path), "--json"]
        mutate_file(path, data)
        status, _, err = run_cli(argv)
        assert_clean(status, err)


@settings(max_examples=15, deadline=None, database=None)
@given(value=VALUES)
def test_score_on_random_json_lines(value):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples_lawshift_term_up_poisoned_2026-01-01T00-00-00.jsonl"
        path.write_text(json.dumps(value) + "\n", encoding="utf-8")
        assert_clean(*run_cli(["score", "--predictions", str(path)])[::2])
