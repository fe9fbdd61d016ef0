"""The ``lawbench_oc`` lm-eval tasks: generated YAMLs, data loading, corpus-level metrics, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lawbench.errors import DataError
from lawbench.evaluate import latest_results
from lawbench.metrics.lawbench_oc import SUPPORTED, score_file, score_task
from lawbench.tasks import TASKS_DIR
from lawbench.tasks.catalog import task_catalog
from lawbench.tasks.lawbench_oc import _generate_configs, utils
from lawbench.tasks.lawbench_oc.data import load_task_docs
from tests.support import SHARED_DATA

# Hand-written records in LawBench's layout (not taken from any dataset).
SYNTHETIC = {
    "3-4": [
        {"instruction": "根据下列事实、罪名和刑法法条预测判决刑期。只需给出判决刑期为多少月，"
                        "请将答案填在[刑期]与<eoa>之间。",
         "question": f"事实:被告人某甲于某日在超市窃取商品若干，价值人民币{100 * (i + 1)}元。\n罪名:盗窃。",
         "answer": f"刑期:{i + 3}个月"}
        for i in range(4)
    ],
    "1-2": [
        {"instruction": "请你运用法律知识从A,B,C,D中选出一个正确的答案，并写在[正确答案]和<eoa>之间。",
         "question": f"下列哪一项属于民事法律行为的有效要件（第{i}题）？A:甲;B:乙;C:丙;D:丁。",
         "answer": f"正确答案：{'ABCD'[i]}。"}
        for i in range(4)
    ],
}


def write_data(root: Path, tasks: dict[str, list[dict]]) -> Path:
    folder = root / "lawbench_oc" / "zero_shot"
    folder.mkdir(parents=True, exist_ok=True)
    for task_id, records in tasks.items():
        (folder / f"{task_id}.json").write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    return root


# --------------------------------------------------------------------------- configs
def test_generated_yamls_are_current():
    folder = TASKS_DIR / "lawbench_oc"
    rendered = _generate_configs.render()
    for name, text in rendered.items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"re-run _generate_configs: {name} is stale"
    on_disk = {p.name for p in folder.glob("lawbench_oc*.yaml")}
    assert on_disk == set(rendered)


def test_group_is_an_unweighted_mean_over_the_subtasks():
    catalog = task_catalog()
    members = catalog["groups"]["lawbench_oc"]
    assert members == [f"lawbench_oc_{t.replace('-', '_')}" for t in SUPPORTED] and len(members) == 20
    assert set(members) <= set(catalog["subtasks"])
    group = yaml.safe_load((TASKS_DIR / "lawbench_oc" / "lawbench_oc.yaml").read_text(encoding="utf-8"))
    assert {m["metric"] for m in group["aggregate_metric_list"]} == {"score", "score_strict", "abstention_rate",
                                                                     "abstention_rate_strict"}
    assert all(m["weight_by_size"] is False for m in group["aggregate_metric_list"])


def test_generation_settings_follow_opencompass():
    template = (TASKS_DIR / "lawbench_oc" / "_default_lawbench_oc_template").read_text(encoding="utf-8")
    settings = yaml.safe_load(template.replace("!function ", ""))
    assert settings["generation_kwargs"] == {"until": [], "max_gen_toks": 1024, "do_sample": False}
    assert "description" not in settings  # LawBench has no system prompt: one user turn


# --------------------------------------------------------------------------- data
def test_docs_carry_lawbench_prompt(tmp_path):
    root = write_data(tmp_path, SYNTHETIC)
    docs = load_task_docs("lawbench_oc_3_4", str(root))
    assert len(docs) == 4 and docs[1]["answer"] == "刑期:4个月" and docs[1]["task_id"] == "3-4"
    assert utils.doc_to_text(docs[1]) == SYNTHETIC["3-4"][1]["instruction"] + "\n" + SYNTHETIC["3-4"][1]["question"]


def test_missing_folder_names_the_folder_to_provide(tmp_path):
    with pytest.raises(DataError, match=rf"no data for 'lawbench_oc': provide the folder {tmp_path}/lawbench_oc/"):
        load_task_docs("3-4", str(tmp_path))
    write_data(tmp_path, {"1-2": SYNTHETIC["1-2"]})
    with pytest.raises(DataError, match=r"zero_shot/3-4.json: file not found \(LawBench layout"):
        load_task_docs("3-4", str(tmp_path))


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("question"), r"3-4.json record 2: missing field 'question'"),
    (lambda r: r.update(answer=18), r"3-4.json record 2: field 'answer' must be text, got int"),
    (lambda r: r.update(answer="刑期:一年半"), r"3-4.json record 2: reference '刑期:一年半' is not|whole number"),
])
def test_malformed_records_name_file_and_index(tmp_path, change, message):
    records = [dict(r) for r in SYNTHETIC["3-4"]]
    change(records[2])
    root = write_data(tmp_path, {"3-4": records})
    with pytest.raises(DataError, match=message):
        load_task_docs("3-4", str(root))


def test_aggregation_is_score_task_on_the_whole_list(tmp_path):
    docs = load_task_docs("3-4", str(write_data(tmp_path, SYNTHETIC)))
    outputs = ["[刑期]3个月<eoa>", "[刑期]一年<eoa>", "不知道", "[刑期]6月<eoa>"]
    items = [utils.process_results(doc, [out])["score"] for doc, out in zip(docs, outputs)]
    expected = score_task("3-4", [{"origin_prompt": utils.doc_to_text(doc), "prediction": out, "refr": doc["answer"]}
                                  for doc, out in zip(docs, outputs)])
    assert utils.aggregate_score(items) == expected["score"]
    assert utils.aggregate_abstention_rate(items) == expected["abstention_rate"] == 0.25
    assert utils.aggregate_score_strict(items) == expected["score_strict"]
    assert utils.aggregate_abstention_rate_strict(items) == expected["abstention_rate_strict"]


# --------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def oc_run(tiny_model, tmp_path_factory) -> Path:
    """``lawbench eval`` on 3-4 and 1-2 (the real data in ../shared/data, else hand-written records)."""
    tmp = tmp_path_factory.mktemp("oc")
    data = SHARED_DATA if (SHARED_DATA / "lawbench_oc" / "zero_shot").is_dir() else write_data(tmp / "data", SYNTHETIC)
    runs = tmp / "runs"
    done = subprocess.run(
        [sys.executable, "-m", "lawbench", "eval", "--model", str(tiny_model),
         "--tasks", "lawbench_oc_3_4,lawbench_oc_1_2",
         "--data-dir", str(data), "--limit", "3", "--gen-kwargs", "max_gen_toks=16", "--output-dir", str(runs),
         "--run-name", "oc"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return runs / "oc"


def test_eval_reports_lawbench_metrics(oc_run):
    results = json.loads(latest_results(oc_run).read_text(encoding="utf-8"))
    for task in ("lawbench_oc_3_4", "lawbench_oc_1_2"):
        entry = results["results"][task]
        assert set(entry) >= {"score,none", "score_strict,none", "abstention_rate,none", "abstention_rate_strict,none"}
        assert 0.0 <= entry["abstention_rate,none"] <= 1.0
        assert results["n-samples"][task]["effective"] == 3
    assert any(path.endswith("3-4.json") for path in results["lawbench"]["data_files"])


def test_rescoring_the_samples_reproduces_the_results(oc_run):
    results = json.loads(latest_results(oc_run).read_text(encoding="utf-8"))
    for task in ("lawbench_oc_3_4", "lawbench_oc_1_2"):
        (samples,) = oc_run.glob(f"samples_{task}_*.jsonl")
        rescored = score_file(None, samples)
        assert rescored["n"] == 3
        for metric in ("score", "score_strict", "abstention_rate", "abstention_rate_strict"):
            assert rescored[metric] == results["results"][task][f"{metric},none"], (task, metric)
