"""The leaderboard shows retrieval_recall and, beside the gold-article run of the same model, what retrieval costs."""

from __future__ import annotations

import json
import shutil

from lawbench.leaderboard.site import build_data, render_html
from tests.support.leaderboard_runs import write_fixture_runs


def test_rag_run_beside_its_gold_article_run(tmp_path):
    runs = write_fixture_runs(tmp_path)
    for stage in ("pt", "dpo", "kto"):  # base, sft and sft's rag run are enough here
        shutil.rmtree(runs / stage)
    shutil.rmtree(runs / "sft")
    shutil.copytree(runs / "base", runs / "base-rag")
    path = next((runs / "base-rag").glob("results_*.json"))
    results = json.loads(path.read_text(encoding="utf-8"))
    gold_verdict = results["results"]["lawshift"]["verdict_acc,none"]
    for name, entry in results["results"].items():
        if name.startswith("lawshift"):
            entry["retrieval_recall,none"] = 0.5
    results["results"]["lawshift"]["verdict_acc,none"] = gold_verdict - 0.25
    results["lawbench"]["rag"] = {"digest": "d" * 64, "provisions": 891, "chunks": 891, "retriever": "bm25", "k": 5,
                                  "files": [{"name": "articles.json", "sha256": "e" * 64}], "embedding_model": None}
    results["lawbench"]["run_name"] = "base-rag"
    path.write_text(json.dumps(results), encoding="utf-8")

    data, items = build_data(runs, iters=100)
    [row] = data["rag"]["runs"]
    assert (row["run"], row["gold_run"], row["index"]["k"]) == ("base-rag", "base", 5)
    pooled = row["groups"]["lawshift"]
    assert pooled["retrieval_recall"] == 0.5 and abs(pooled["metrics"]["verdict_acc"]["cost"] - 0.25) < 1e-6
    assert any(r["metric"] == "retrieval_recall" and "base-rag" in r["cells"] for r in data["rows"])  # an overview row
    assert data["runs"]["base-rag"]["lawbench"]["rag"]["digest"] == "d" * 64
    page = render_html(data, items)
    assert "lawshift-rag" in page and '"retrieval_recall":0.5' in page
