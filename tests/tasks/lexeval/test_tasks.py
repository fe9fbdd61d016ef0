"""The ``lexeval`` lm-eval tasks: generated YAMLs, the group, data loading, prompts, per-item metrics."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from lawbench.errors import DataError
from lawbench.metrics.lexeval import AVAILABLE, score_file
from lawbench.tasks import TASKS_DIR
from lawbench.tasks.lexeval import _generate_configs, utils
from lawbench.tasks.lexeval.data import load_task_docs

# Hand-written records in LexEval's layout (not taken from any dataset).
CHOICE = [{"instruction": "请阅读以下选择题给出正确选项。\n", "input": f"第{i}题：下列哪项正确？\nA: 甲\nB: 乙\nC: 丙",
           "answer": answer} for i, answer in enumerate(["A", "BC", "选项C", None])]
TRANSLATION = [{"instruction": "请你将以下法律条文翻译为中文：", "input": "The contract is void.",
                "answer": "合同无效。"}]


def write_data(root: Path, tasks: dict[str, list[dict]]) -> Path:
    folder = root / "lexeval" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in tasks.items():
        (folder / f"{name}.json").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                             encoding="utf-8")
    return root


def test_generated_yamls_are_current():
    folder = TASKS_DIR / "lexeval"
    rendered = _generate_configs.render()
    for name, text in rendered.items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"re-run _generate_configs: {name} is stale"
    assert {p.name for p in folder.glob("*.yaml")} == set(rendered)


def _yaml(name: str) -> dict:
    return yaml.safe_load((TASKS_DIR / "lexeval" / name).read_text(encoding="utf-8").replace("!function ", ""))


def test_group_holds_the_six_levels_and_every_available_task():
    # `lawbench tasks` (lm-eval's index of these files) lists them: tests/test_cli.py checks it
    levels = _yaml("lexeval.yaml")["task"]
    assert levels == [f"lexeval_{level}" for level in ("memorization", "understanding", "logic_inference",
                                                         "discrimination", "generation", "ethics")]
    members = [task for level in levels for task in _yaml(f"_{level}.yaml")["task"]]
    assert members == [f"lexeval_{task_id}" for task_id in AVAILABLE] and len(members) == 20
    assert all(_yaml(f"{member}.yaml")["task"] == member for member in members)
    generation = _yaml("lexeval_5_3.yaml")
    assert [m["metric"] for m in generation["metric_list"]] == ["score", "score_strict", "abstention_rate",
                                                               "abstention_rate_strict"]


def test_prompts_are_lexevals(tmp_path):
    root = write_data(tmp_path, {"1_1": CHOICE, "5_3": TRANSLATION})
    docs = load_task_docs("lexeval_1_1", str(root))
    assert len(docs) == 4 and docs[2]["answer"] == "选项C" and docs[3]["answer"] is None
    assert utils.doc_to_text(docs[0]) == CHOICE[0]["instruction"] + CHOICE[0]["input"] + "\n答案:"
    assert utils.doc_to_target(docs[3]) == ""
    (translation,) = load_task_docs("5_3", str(root))
    assert translation["prompt"] == "请你将以下法律条文翻译为中文：The contract is void.\n翻译结果:"
    write_data(root, {"5_3_few_shot": [{"instruction": "", "input": "Article 1", "answer": "第一条"}]})
    (few_shot,) = load_task_docs("5_3", str(root))
    assert few_shot["prompt"] == ("请你将以下法律条文翻译为中文：\n以下是三个例子:\n"
                                  "问题: Article 1\n翻译结果: 第一条\n\n"
                                  "请你回答:\n问题:The contract is void.\n翻译结果:")


def test_missing_or_malformed_data_names_the_file(tmp_path):
    with pytest.raises(DataError, match=rf"no data for 'lexeval': provide the folder {tmp_path}/lexeval/"):
        load_task_docs("1_1", str(tmp_path))
    write_data(tmp_path, {"1_1": CHOICE})
    with pytest.raises(DataError, match=r"data/1_2.json: file not found \(LexEval layout"):
        load_task_docs("1_2", str(tmp_path))
    bad = [dict(CHOICE[0]), {"instruction": "…", "input": 7, "answer": "A"}]
    write_data(tmp_path, {"1_2": bad})
    with pytest.raises(DataError, match=r"1_2.json line 2: field 'input' must be text"):
        load_task_docs("1_2", str(tmp_path))


def test_per_item_metrics_average_to_the_file_score(tmp_path):
    docs = load_task_docs("1_1", str(write_data(tmp_path, {"1_1": CHOICE})))
    outputs = ["A", "CB", "C", "A"]
    items = [utils.process_results(doc, [out]) for doc, out in zip(docs, outputs)]
    lines = tmp_path / "model_1_1.jsonl"
    lines.write_text("".join(json.dumps({"input": d["input"], "output": o, "answer": d["answer"]}, ensure_ascii=False)
                             + "\n" for d, o in zip(docs, outputs)), encoding="utf-8")
    expected = score_file(None, lines)
    for metric in ("score", "f1", "abstention_rate"):
        assert sum(item[metric] for item in items) / len(items) == expected[metric]
        assert utils.mean_defined([item[f"{metric}_strict"] for item in items]) == expected[f"{metric}_strict"]
    assert expected["score"] == 0.25 and expected["score_strict"] == 1.0 and expected["n_strict"] == 3
    assert math.isnan(utils.mean_defined([None]))


def test_lm_eval_builds_the_tasks_from_the_yaml(tmp_path):
    """lm-eval itself loads the subtasks (YAML, hooks, data, metrics), as `lawbench eval` does."""
    from lawbench.tasks.select import select_tasks

    root = write_data(tmp_path, {"1_1": CHOICE, "5_3": TRANSLATION})
    selection = select_tasks("lexeval_1_1,lexeval_5_3", str(root), {"data_dir": str(root)})
    loaded = selection.manager.load(selection.names)["tasks"]
    choice, translation = loaded["lexeval_1_1"], loaded["lexeval_5_3"]
    docs = list(choice.test_docs())
    assert choice.doc_to_text(docs[0]) == CHOICE[0]["instruction"] + CHOICE[0]["input"] + "\n答案:"
    assert [m["metric"] for m in choice.config.metric_list][:2] == ["score", "score_strict"]
    assert "f1" in choice.aggregation() and "f1" not in translation.aggregation()
    assert choice.process_results(docs[1], ["C、B"])["score"] == 0.0  # LexEval reads "CB": order matters
