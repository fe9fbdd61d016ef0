"""`lawbench score`: the JSON contract, LawBench parity through the CLI, text pairs, LawShift samples."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def score(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lawbench", "score", *args], capture_output=True, text=True, timeout=300)


def test_lawbench_file_through_the_cli_matches_the_official_score(shared_data):
    official = {(r["model"], r["task"]): r for r in
                json.loads((shared_data / "lawbench_oc/predictions/official_scores.json").read_text(encoding="utf-8"))}
    done = score("--task", "3-4", "--predictions",
                 str(shared_data / "lawbench_oc/predictions/zero_shot/qwen-7b-chat-hf/3-4.json"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = official[("qwen-7b-chat-hf", "3-4")]
    assert result["score"] == pytest.approx(expected["official_score"], abs=1e-9)
    assert result["abstention_rate"] == pytest.approx(expected["abstention_rate"], abs=1e-9)
    assert result["n"] == expected["n"]


def test_text_pairs(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [{"prediction": "依照刑法，构成盗窃罪。", "reference": "依照刑法第二百六十四条，构成盗窃罪。"},
            {"prediction": "", "reference": "构成危险驾驶罪。"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    done = score("--predictions", str(path), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result) >= {"rouge1", "rouge2", "rougeL", "bleu", "bleu1", "bleu2", "bleu3", "bleu4", "meteor", "ter",
                           "chrf", "n"}
    assert result["n"] == 2 and 0 < result["rougeL"] < 1


def test_errors_are_one_line(tmp_path):
    missing = score("--predictions", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "predictions file not found" in missing.stderr
    bad = tmp_path / "3-4.json"
    bad.write_text('{"0": {"origin_prompt": "x", "prediction": "y"}}', encoding="utf-8")
    done = score("--task", "3-4", "--predictions", str(bad))
    assert done.returncode == 2 and str(bad) in done.stderr.strip().splitlines()[-1]
