"""Parity with LexEval's own ``evaluate.py`` on its published GPT-4 and ChatGLM3-6B outputs.

``../shared/data/lexeval/predictions/official_scores.json`` holds what LexEval's Evaluator gives on
each file under ``predictions/zero_shot/``. Here: every multiple-choice number (Accuracy and F1, 36
files) and Rouge_L on both 5_3 files; the two 5_4 files (long answers, where the back-trace overflow
zeroes items) are checked by ``bench/lexeval_parity.py`` over all 40 files, to keep the suite fast.
"""

from __future__ import annotations

import json

import pytest

from lawbench.metrics.lexeval import score_file
from tests.support import SHARED_DATA

PREDICTIONS = SHARED_DATA / "lexeval" / "predictions"
OFFICIAL_PATH = PREDICTIONS / "official_scores.json"
OFFICIAL = json.loads(OFFICIAL_PATH.read_text(encoding="utf-8")) if OFFICIAL_PATH.is_file() else []
TOLERANCE = 1e-9
needs_predictions = pytest.mark.skipif(not OFFICIAL, reason=f"LexEval predictions not found at {PREDICTIONS}")


def _file(model: str, task: str):
    return PREDICTIONS / "zero_shot" / model / f"{model}_{task}.jsonl"


@needs_predictions
def test_every_output_file_has_official_scores():
    files = {path.name for path in (PREDICTIONS / "zero_shot").rglob("*.jsonl")}
    assert files == {_file(row["model"], row["task"]).name for row in OFFICIAL}
    assert len(files) == 40


@needs_predictions
@pytest.mark.parametrize("model", sorted({row["model"] for row in OFFICIAL}))
def test_multiple_choice_and_5_3_match_lexeval(model):
    rows = [row for row in OFFICIAL if row["model"] == model and row["task"] != "5_4"]
    checked = set()
    for task in sorted({row["task"] for row in rows}):
        result = score_file(None, _file(model, task))
        for row in (r for r in rows if r["task"] == task):
            got = {"Accuracy": result["score"], "Rouge_L": result["score"]}.get(row["metric"], result.get("f1"))
            assert result["n"] == row["n"]
            assert abs(got - row["score"]) <= TOLERANCE, (model, task, row["metric"], got, row["score"])
            checked.add(row["metric"])
        assert 0.0 <= result["abstention_rate"] <= 1.0
    assert checked == {"Accuracy", "F1", "Rouge_L"}


@needs_predictions
def test_cli_prints_the_score_contract():
    from tests.support import lawbench

    row = {(r["task"], r["metric"]): r for r in OFFICIAL if r["model"] == "gpt4"}
    done = lawbench("score", "--task", "lexeval_1_2", "--predictions", str(_file("gpt4", "1_2")), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert abs(result["score"] - row[("1_2", "Accuracy")]["score"]) <= TOLERANCE
    assert abs(result["f1"] - row[("1_2", "F1")]["score"]) <= TOLERANCE
    assert result["n"] == 800 and result["metric"] == "Accuracy"
    assert {"score_strict", "f1_strict", "n_strict", "abstention_rate", "abstention_rate_strict"} <= set(result)
    assert 0 < result["abstention_rate"] < 0.1  # gpt4 1_2: up to 30 outputs without a letter
