"""legal_qa: loaders, per-item text metrics through lm-eval, corpus metrics and bootstrap stderrs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lawbench.errors import DataError
from lawbench.metrics.text import text_metrics
from lawbench.tasks.legal_qa import data

QA = [("盗窃罪怎么判？", "回答:盗窃公私财物数额较大的，处三年以下有期徒刑、拘役或者管制。"),
      ("醉驾会坐牢吗？", "回答:醉酒驾驶机动车的，构成危险驾驶罪，处拘役，并处罚金。"),
      ("什么是自首？", "回答:犯罪以后自动投案，如实供述自己的罪行的，是自首。"),
      ("轻伤怎么判？", "回答:故意伤害他人身体的，处三年以下有期徒刑、拘役或者管制。")]


def write_sources(root):
    subjective = root / "disc_law_eval" / "subjective" / "qa_short_answer.json"
    subjective.parent.mkdir(parents=True)
    subjective.write_text(json.dumps([{"input": q, "output": a[3:], "id": i} for i, (q, a) in enumerate(QA)],
                                     ensure_ascii=False), encoding="utf-8")
    for task_id in ("3-8", "1-1"):
        path = root / "lawbench_oc" / "zero_shot" / f"{task_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        prefix = "回答:" if task_id == "3-8" else "答案:"
        path.write_text(json.dumps([{"instruction": "请回答下面的法律问题。", "question": q, "answer": prefix + a[3:]}
                                    for q, a in QA], ensure_ascii=False), encoding="utf-8")
    return root


def test_loaders(tmp_path):
    write_sources(tmp_path)
    docs = data.load_lawbench_qa("3-8", str(tmp_path))
    assert docs[0]["prompt"] == "请回答下面的法律问题。\n盗窃罪怎么判？"
    assert docs[0]["reference"].startswith("盗窃公私财物")  # the 回答: prefix is gone
    assert data.load_lawbench_qa("1-1", str(tmp_path))[1]["reference"].startswith("醉酒驾驶")
    assert data.load_disc_subjective(str(tmp_path))[2]["prompt"] == "什么是自首？"
    bad = tmp_path / "disc_law_eval" / "subjective" / "qa_short_answer.json"
    bad.write_text('[{"input": "q"}]', encoding="utf-8")
    with pytest.raises(DataError, match=r"qa_short_answer\.json record 0: needs text fields"):
        data.load_disc_subjective(str(tmp_path))


def test_eval_reports_every_metric_with_a_stderr(tiny_model, tmp_path):
    write_sources(tmp_path / "data")
    done = subprocess.run([sys.executable, "-m", "lawbench", "eval", "--model", str(tiny_model), "--tasks", "legal_qa",
                           "--data-dir", str(tmp_path / "data"), "--gen-kwargs", "max_gen_toks=12",
                           "--output-dir", str(tmp_path / "runs"), "--run-name", "qa"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(next((tmp_path / "runs" / "qa").glob("results_*.json")).read_text(encoding="utf-8"))
    entry = results["results"]["legal_qa_lawbench_3_8"]
    for metric in ("rouge1", "rouge2", "rougeL", "bleu", "bleu1", "bleu2", "bleu3", "bleu4", "meteor", "ter", "chrf"):
        assert isinstance(entry[f"{metric},none"], float)
        assert isinstance(entry[f"{metric}_stderr,none"], float), metric  # bootstrap where lm-eval has none
    assert isinstance(results["results"]["legal_qa"]["bleu_stderr,none"], float)
    # The run's numbers are the text metrics of its own outputs.
    samples = [json.loads(line) for line in next((tmp_path / "runs" / "qa").glob(
        "samples_legal_qa_lawbench_3_8_*.jsonl")).read_text(encoding="utf-8").splitlines()]
    again = text_metrics([s["resps"][0][0] for s in samples], [s["doc"]["reference"] for s in samples])
    for metric in ("rougeL", "bleu", "ter", "chrf", "meteor"):
        assert entry[f"{metric},none"] == pytest.approx(again[metric], abs=1e-9), metric
