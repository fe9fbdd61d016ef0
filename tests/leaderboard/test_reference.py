"""Reference columns: LawBench's published models and re-scored prediction folders beside the stages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lawbench.errors import LawbenchError
from lawbench.leaderboard import build_data, build_site
from lawbench.leaderboard.reference import published_runs, published_table, reference_runs
from lawbench.metrics.lawbench_oc import SUPPORTED
from lawbench.metrics.lexeval import score_file
from lawbench.tasks.lexeval.data import load_task_docs
from lawbench.tasks.lexeval.utils import process_results
from tests.support.leaderboard_runs import write_fixture_runs

ITERS = 200
DATE = "2026-01-02T03-04-05.000000"
# Hand-written LexEval records (not from the dataset): four single-answer questions.
RECORDS = [{"instruction": "请阅读以下选择题给出正确选项。\n", "input": f"第{i}题：下列哪项正确？\nA: 甲\nB: 乙",
            "answer": "ABC"[i % 3]} for i in range(4)]
STAGE_OUTPUTS = ["A", "B", "A", "我不知道"]  # right, right, wrong, no answer
REFERENCE_OUTPUTS = ["A", "C", "C", "B"]  # right, wrong, right, wrong


def _lm_eval_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_lexeval_stage(root: Path) -> tuple[Path, Path]:
    """A data dir with ``lexeval/data/1_1.json`` and a run folder that scored 3 of its items, logged as
    lm-eval logs samples (``doc_hash`` = sha256 of ``json.dumps(doc, indent=2, ensure_ascii=False)``)."""
    data = root / "data"
    (data / "lexeval" / "data").mkdir(parents=True)
    (data / "lexeval" / "data" / "1_1.json").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    run = root / "runs" / "sft"
    run.mkdir(parents=True)
    docs = load_task_docs("1_1", str(data))
    lines, values = [], []
    for doc, output in list(zip(docs, STAGE_OUTPUTS))[:3]:
        metrics = process_results(doc, [output])
        values.append(metrics["score"])
        lines.append({"doc_id": doc["idx"], "doc": doc, "target": doc["answer"],
                      "arguments": {"gen_args_0": {"arg_0": "<chat>" + doc["prompt"], "arg_1": {}}},
                      "resps": [[output]], "filtered_resps": [output], "filter": "none", "metrics": list(metrics),
                      "doc_hash": _lm_eval_hash(json.dumps(doc, indent=2, ensure_ascii=False)),
                      "prompt_hash": _lm_eval_hash("<chat>" + doc["prompt"]),
                      "target_hash": _lm_eval_hash(doc["answer"]), **metrics})
    (run / f"samples_lexeval_1_1_{DATE}.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    results = {"results": {"lexeval_1_1": {"alias": "lexeval_1_1", "score,none": sum(values) / 3}},
               "configs": {"lexeval_1_1": {"metric_list": [{"metric": "score"}]}},
               "versions": {"lexeval_1_1": 1.0}, "n-samples": {"lexeval_1_1": {"original": 4, "effective": 3}},
               "lawbench": {"stage": "sft"}}
    (run / f"results_{DATE}.json").write_text(json.dumps(results), encoding="utf-8")
    model = root / "reference" / "gpt4"
    model.mkdir(parents=True)
    (model / "gpt4_1_1.jsonl").write_text("".join(
        json.dumps({"input": r["input"] + "\n答案:", "output": o, "answer": r["answer"]}, ensure_ascii=False) + "\n"
        for r, o in zip(RECORDS, REFERENCE_OUTPUTS)), encoding="utf-8")
    return data, root / "runs"


def test_published_table_is_lawbenchs_results_csv():
    table = published_table()
    assert table["commit"] == "e30981bb3ff54c41571f222e0b23e92d27375388" and "results.csv" in table["source"]
    assert len(table["models"]) == 51 and all(len(tasks) == 20 for tasks in table["models"].values())
    # LawBench's README: GPT4's zero-shot AVG is 52.35 (the plain mean of its 20 task scores, x100)
    assert round(100 * sum(t["score"] for t in table["models"]["GPT4"].values()) / 20, 2) == 52.35
    assert [r.run.id for r in published_runs()] == [f"published:{m}" for m in table["readme_top5"]]
    with pytest.raises(LawbenchError, match="no published LawBench scores for 'gpt-5'"):
        published_runs(["gpt-5"])


def test_published_columns_follow_the_stages_without_cis(tmp_path):
    runs = write_fixture_runs(tmp_path)
    data, _ = build_data(runs, iters=ITERS, references=published_runs(["GPT4", "qwen-7b-chat-hf"]))
    assert [s["id"] for s in data["stages"]][-3:] == ["kto", "published:GPT4", "published:qwen-7b-chat-hf"]
    assert data["stages"][-1]["reference"] == "published" and data["stages"][-1]["parent"] is None
    row = next(r for r in data["rows"] if r["node"] == "lawbench_oc_1_2" and r["metric"] == "score")
    assert row["primary"] and row["cells"]["published:GPT4"] == {"score": 0.552, "n": None}  # no lo / hi
    assert row["vs_reference"] == {}  # the stages did not run LawBench: nothing to compare
    group = next(r for r in data["rows"] if r["node"] == "lawbench_oc" and r["metric"] == "score")
    assert row["ancestors"] == ["lawbench_oc"]
    members = [f"lawbench_oc_{t.replace('-', '_')}" for t in SUPPORTED]  # lawbench's group: a plain mean
    gpt4 = published_table()["models"]["GPT4"]
    published = {f"lawbench_oc_{t.replace('-', '_')}": v["score"] for t, v in gpt4.items()}
    assert group["cells"]["published:GPT4"]["score"] == round(sum(published[m] for m in members) / len(members), 6)
    assert "published:GPT4" in data["exports"]["md"].splitlines()[0]
    assert "published:GPT4" in data["exports"]["csv"] and "published:GPT4" in data["exports"]["tex"]
    assert data["runs"]["published:GPT4"]["reference"]["commit"].startswith("e30981bb")


def test_rescored_reference_is_paired_item_by_item(tmp_path):
    data_dir, runs = write_lexeval_stage(tmp_path)
    references = reference_runs(tmp_path / "reference", str(data_dir))
    data, items = build_data(runs, iters=ITERS, references=references)
    assert [s["id"] for s in data["stages"]] == ["sft", "reference:gpt4"]
    row = next(r for r in data["rows"] if r["node"] == "lexeval_1_1" and r["metric"] == "score")
    official = score_file(None, tmp_path / "reference" / "gpt4" / "gpt4_1_1.jsonl")
    cell = row["cells"]["reference:gpt4"]
    assert cell["score"] == official["score"] == 0.5 and cell["n"] == 4 and cell["ci"] == "bootstrap"
    change = row["vs_reference"]["reference:gpt4"]
    # items 0-2 both answered: stage [1, 1, 0] against reference [1, 0, 1]; prompts differ by design
    assert change["status"] == "subset" and change["n"] == 3 and change["diff"] == pytest.approx(0.0)
    (pair,) = data["pairs"]
    assert (pair["a"], pair["b"], pair["relation"], pair["changes"]) == ("reference:gpt4", "sft", "reference", 2)
    moved = data["transitions"]["lexeval_1_1"][0]["metrics"]["score"]
    assert (moved["fixed"], moved["broken"], moved["still_right"]) == ([1], [2], [0])
    assert set(items["tasks"]["lexeval_1_1"]["0"]["stages"]) == {"sft", "reference:gpt4"}  # side by side


def test_reference_errors_are_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LawbenchError, match="no prediction files found"):
        reference_runs(tmp_path / "empty")
    with pytest.raises(LawbenchError, match="no such folder"):
        reference_runs(tmp_path / "missing")


def test_site_renders_reference_columns(tmp_path):
    data_dir, runs = write_lexeval_stage(tmp_path)
    references = published_runs(["GPT4"]) + reference_runs(tmp_path / "reference", str(data_dir))
    index = build_site(runs, tmp_path / "site", iters=ITERS, references=references)
    html = index.read_text(encoding="utf-8")
    assert "published:GPT4" in html and "reference:gpt4" in html
    assert "published:GPT4" in (tmp_path / "site" / "exports" / "overview.md").read_text(encoding="utf-8")


def test_reference_columns_in_the_browser(tmp_path):
    """Overview, transitions and run details render the reference columns with no script error."""
    import os
    import shutil

    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    playwright = pytest.importorskip("playwright.sync_api") if os.environ.get("LAWBENCH_REQUIRE_BROWSER") != "1" \
        else __import__("playwright.sync_api").sync_api
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).is_file()):
        if os.environ.get("LAWBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium)")
    sync_playwright = playwright.sync_playwright

    data_dir, runs = write_lexeval_stage(tmp_path)
    references = published_runs(["GPT4"]) + reference_runs(tmp_path / "reference", str(data_dir))
    index = build_site(runs, tmp_path / "site", iters=ITERS, references=references)
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(index.as_uri() + "#/overview?metric=@all")
        page.wait_for_selector("#overview-table")
        heads = page.locator("#overview-table thead th").all_inner_texts()
        assert any("published:GPT4" in h for h in heads) and any("reference:gpt4" in h for h in heads)
        cell = page.locator('#overview-table td[data-stage="reference:gpt4"] .chg-reference').first
        assert cell.inner_text().startswith("Δsft ")
        page.goto(index.as_uri() + "#/transitions")
        page.wait_for_selector("#pair-select")
        assert "reference:gpt4 → sft (reference)" in page.locator("#pair-select").inner_text()
        page.goto(index.as_uri() + "#/runs")
        page.wait_for_selector("#runs-table")
        browser.close()
    assert errors == []
