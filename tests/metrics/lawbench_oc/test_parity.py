"""Parity with LawBench's own evaluation: every published prediction file scores what LawBench says.

``../shared/data/lawbench_oc/predictions/official_scores.json`` holds the score and abstention rate
that LawBench's ``evaluation/main.py`` gives on each file under ``predictions/zero_shot/`` (real
GPT-4, Qwen-7B-Chat and ChatGLM2-6B outputs); lawbench must reproduce both to 1e-9.
"""

from __future__ import annotations

import json

import pytest

from lawbench.metrics.lawbench_oc import score_file
from tests.support import SHARED_DATA

PREDICTIONS = SHARED_DATA / "lawbench_oc" / "predictions"
TOLERANCE = 1e-9


def _official(name: str = "official_scores.json") -> list[dict]:
    path = PREDICTIONS / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


OFFICIAL = _official()
# 2-1 (document proofreading, ChERRANT) has its official scores in a file of its own.
OFFICIAL_2_1 = _official("official_scores_2-1.json")
needs_predictions = pytest.mark.skipif(not OFFICIAL, reason=f"LawBench predictions not found at {PREDICTIONS}")


@needs_predictions
def test_every_prediction_file_has_an_official_score():
    files = {path.relative_to(PREDICTIONS / "zero_shot").as_posix()
             for path in (PREDICTIONS / "zero_shot").rglob("*.json")}
    scored = {f"{row['model']}/{row['task']}.json" for row in OFFICIAL}
    scored_2_1 = {f"{row['model']}/{row['task']}.json" for row in OFFICIAL_2_1}
    assert files == scored | scored_2_1
    assert len(scored) == 24


@needs_predictions
@pytest.mark.parametrize("row", OFFICIAL, ids=lambda row: f"{row['model']}-{row['task']}")
def test_score_matches_lawbench(row):
    result = score_file(row["task"], PREDICTIONS / "zero_shot" / row["model"] / f"{row['task']}.json")
    assert result["n"] == row["n"]
    assert abs(result["score"] - row["official_score"]) <= TOLERANCE
    assert abs(result["abstention_rate"] - row["abstention_rate"]) <= TOLERANCE
    assert 0.0 <= result["abstention_rate_strict"] <= 1.0


@needs_predictions
def test_rouge_matches_rouge_chinese_on_real_outputs():
    """The fast LCS gives rouge-chinese's own ROUGE-L on real 3-8 outputs (long texts)."""
    from rouge_chinese import Rouge

    from lawbench.metrics.lawbench_oc import load_predictions
    from lawbench.metrics.lawbench_oc.rouge import rouge_l_pair, segment

    records = load_predictions(PREDICTIONS / "zero_shot" / "GPT4" / "3-8.json")[:40]
    rouge = Rouge()
    for record in records:
        hyp, ref = segment(record["prediction"]) or "无内容", segment(record["refr"])
        assert rouge_l_pair(hyp, ref) == rouge.get_scores([hyp], [ref])[0]["rouge-l"]["f"]

