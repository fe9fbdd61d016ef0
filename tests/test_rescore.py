"""`lawbench score`: the JSON contract, LawBench parity through the CLI, text pairs, LawShift samples."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def score(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lawbench", "score", *args], capture_output=True, text=True,
                          timeout=300)


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


def test_lawshift_samples_scored_with_the_task_taken_from_the_file_name(tmp_path):
    doc = {"charge": "盗窃", "prison_time": 6, "side": "original", "shift_type": "V"}
    outputs = ["<answer>盗窃 | 6</answer>", "<answer>诈骗 | 6</answer>", "我不知道"]
    path = tmp_path / "samples_lawshift_term_up_original_2026-11-21T10-00-00.jsonl"
    path.write_text("".join(json.dumps({"doc": doc, "resps": [[o]], "filtered_resps": [o]}, ensure_ascii=False) + "\n"
                            for o in outputs), encoding="utf-8")
    done = score("--predictions", str(path), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["task"] == "lawshift_term_up_original" and result["n"] == 3
    assert result["charge_acc"] == pytest.approx(1 / 3) and result["parse_rate"] == pytest.approx(2 / 3)
    assert result["abstention_rate"] == pytest.approx(1 / 3)
