"""The cases of "Hardening II" that used to end in a traceback: each is one ``lawbench: error:`` line (or works)."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from lawbench.utils.io import atomic_write_text
from tests.support.hostile import run_cli
from tests.support.leaderboard_runs import DATE, SCENARIOS, write_fixture_runs


def one_line(status: int, err: str, *needles: str) -> None:
    lines = [line for line in err.strip().splitlines() if line.startswith("lawbench: error:")]
    assert status == 2 and len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def fixture_runs(tmp_path_factory):
    return write_fixture_runs(tmp_path_factory.mktemp("runs"), cases_per_side=2, scenarios=SCENARIOS[:1])


def _copy(fixture_runs, tmp_path):
    shutil.copytree(fixture_runs.parent, tmp_path / "out")
    return tmp_path / "out" / "runs"


def _build(runs, tmp_path):
    return run_cli(["leaderboard", "build", "--runs", str(runs), "--out", str(tmp_path / "site"),
                    "--bootstrap-iters", "100"])


@pytest.mark.parametrize(("case", "needle"), [
    ("samples line [1]", "line 1: not a valid lm-eval sample"),
    ("manifest not an object", "'lawbench' manifest must be an object"),
    ('"results": {"t": 1}', "results['t'] must be an object"),
    ("model not an object", "lawbench.model must be an object"),
])
def test_leaderboard_build_on_broken_run_folders(fixture_runs, tmp_path, case, needle):
    runs = _copy(fixture_runs, tmp_path)
    results_file = runs / "sft" / f"results_{DATE}.json"
    results = json.loads(results_file.read_text(encoding="utf-8"))
    if case == "samples line [1]":
        next((runs / "sft").glob("samples_*.jsonl")).write_text("[1]\n", encoding="utf-8")
    elif case == "manifest not an object":
        results["lawbench"] = ["x"]
    elif case == "model not an object":
        results["lawbench"]["model"] = "x"
    else:
        results["results"]["t"] = 1
    if case != "samples line [1]":
        results_file.write_text(json.dumps(results), encoding="utf-8")
    one_line(*_build(runs, tmp_path)[::2], needle)


def test_nan_and_infinity_in_results_are_no_values(fixture_runs, tmp_path):
    runs = _copy(fixture_runs, tmp_path)
    results_file = runs / "sft" / f"results_{DATE}.json"
    results = json.loads(results_file.read_text(encoding="utf-8"))
    for entry in results["results"].values():
        for key in list(entry)[:3]:
            entry[key] = float("nan") if "stderr" in key else float("inf")
    results_file.write_text(json.dumps(results), encoding="utf-8")  # Python writes NaN / Infinity
    status, _, err = _build(runs, tmp_path)
    assert status == 0, err


def test_site_publishes_an_allowlist_without_secrets_or_absolute_paths(fixture_runs, tmp_path):
    runs = _copy(fixture_runs, tmp_path)
    results_file = runs / "sft" / f"results_{DATE}.json"
    results = json.loads(results_file.read_text(encoding="utf-8"))
    results["lawbench"].update({
        "command": ["lawbench", "eval", "--api-key", "sk-SECRET"], "data_dir": "/home/alice/private-data",
        "data_files": {"/home/alice/private-data/lawshift/x/original.json": "ab" * 32},
        "model": {"kind": "api", "path": "/home/alice/models/qwen", "base_url": "https://alice:TOKEN@h.example/v1?key=K",
                  "fingerprint": "f" * 64},
        "training": {"checkpoint": str(tmp_path / "out" / "checkpoints" / "sft")}, "private_note": "INTERNAL"})
    results["config"] = {"model": "m", "model_args": "base_url=https://alice:TOKEN@h", "batch_size": 1}
    results_file.write_text(json.dumps(results), encoding="utf-8")
    status, _, err = _build(runs, tmp_path)
    assert status == 0, err
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    for secret in ("sk-SECRET", "TOKEN", "alice", "key=K", "INTERNAL", "/home/", str(tmp_path)):
        assert secret not in page, secret
    assert "https://h.example/v1" in page and "../checkpoints/sft" in page and "lawshift/x/original.json" in page


def test_exports_escape_formulas_newlines_and_specials():
    from lawbench.leaderboard.exports import to_csv, to_latex, to_markdown

    node = '=HYPERLINK("http://evil")\n| x'
    data = {"stages": [{"id": "@cmd", "stage": "-2+3"}],
            "rows": [{"node": node, "kind": "task", "metric": "+acc\r", "filter": "\tnone", "primary": True,
                      "cells": {"@cmd": {"score": -0.5, "lo": -0.6, "hi": -0.4, "n": 3}},
                      "vs_parent": {}, "vs_base": {}}]}
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(to_csv(data), newline="")))
    assert len(rows) == 1 and len(to_csv(data).splitlines()) == 2
    row = rows[0]
    assert row["task"].startswith("'=") and row["metric"].startswith("'+") and row["filter"] == "'\tnone"
    assert row["stage"] == "'-2+3" and row["run"] == "'@cmd" and row["score"] == "-0.5"  # numbers stay numbers
    md = to_markdown(data).splitlines()
    assert len(md) == 5 and md[2].startswith("| =HYPERLINK") and "\\|" in md[2]  # one row, the pipe escaped
    tex = to_latex(data)
    assert "HYPERLINK(\"http://evil\") | x" in tex  # newline gone: one table row


def test_score_tolerates_argument_lists_and_rejects_empty_responses(tmp_path):
    path = tmp_path / "samples_lawbench_oc_3_4_2026-01-01T00-00-00.jsonl"
    line = {"doc_id": 0, "doc": {"instruction": "i", "question": "q", "answer": "刑期:4个月"},
            "arguments": [["prompt", {"until": []}]], "resps": [["[刑期]4个月"]], "filtered_resps": ["[刑期]4个月"]}
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    status, out, err = run_cli(["score", "--predictions", str(path), "--json"])
    assert status == 0 and json.loads(out.splitlines()[-1])["score"] == 1.0, err
    line.update(resps=[[]], filtered_resps=[])
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    one_line(*run_cli(["score", "--predictions", str(path)])[::2], "line 1: no model output")


def test_out_under_a_file_a_full_disk_and_a_broken_database(fixture_runs, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    status, _, err = run_cli(["leaderboard", "build", "--runs", str(fixture_runs), "--out",
                              str(tmp_path / "file" / "site"), "--bootstrap-iters", "100"])
    one_line(status, err, "file", "ot a directory")
    one_line(*run_cli(["model", "init", "--out", str(tmp_path / "file" / "m")])[::2], "cannot create its folder")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lawbench.leaderboard.site.atomic_write_text", full)
    one_line(*run_cli(["leaderboard", "build", "--runs", str(fixture_runs), "--out", str(tmp_path / "s"),
                           "--bootstrap-iters", "100"])[::2],
             "No space left on device; free some space")

    def corrupt(*args, **kwargs):
        raise sqlite3.DatabaseError("file is not a database")

    monkeypatch.setattr("lawbench.leaderboard.site.build_data", corrupt)
    one_line(*run_cli(["leaderboard", "build", "--runs", str(fixture_runs), "--out", str(tmp_path / "s"),
                           "--bootstrap-iters", "100"])[::2],
             "file is not a database", "--no-cache")


def test_written_files_honour_the_umask(tmp_path):
    import os

    old = os.umask(0o027)
    try:
        path = atomic_write_text(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)


def test_model_init_is_atomic_and_the_demo_only_trusts_finished_models(tmp_path, monkeypatch):
    from transformers import PreTrainedTokenizerFast

    from lawbench.tiny.model import TinyModelConfig, init_tiny_model, is_built

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(PreTrainedTokenizerFast, "save_pretrained", full)
    small = TinyModelConfig(vocab_size=600, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                            num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64)
    with pytest.raises(OSError):
        init_tiny_model(tmp_path / "m", small, corpus=None)
    assert list(tmp_path.iterdir()) == []  # no half-built model, no temporary folder left
    half = tmp_path / "half"
    half.mkdir()
    (half / "config.json").write_text("{}", encoding="utf-8")  # what an interrupted older build left
    assert not is_built(half)
