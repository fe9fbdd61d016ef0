"""Retrieval-augmented LawShift: prompts built from retrieved provisions, supersession on the poisoned side,
retrieval_recall on every subtask and group, the index recorded in the manifest (tiny model, offline)."""

from __future__ import annotations

import json

import pytest

from lawbench.cli import main
from lawbench.evaluate import latest_results
from lawbench.rag import open_index
from lawbench.tasks.lawshift.data import load_side_dataset
from lawbench.tasks.lawshift.utils import process_results, score_output

SCENARIOS = ("action_explicit_extend", "action_explicit_reduce")  # the scenarios in ../shared/data/lawshift


def test_recall_and_supersession_on_the_shared_scenarios(shared_data, lawshift_index):
    data_dir, rag = str(shared_data), {"rag_index": str(lawshift_index), "rag_k": 3}
    original = load_side_dataset("action_explicit_extend", "original", data_dir, **rag)
    poisoned = load_side_dataset("action_explicit_extend", "poisoned", data_dir, **rag)
    recalls = [process_results(doc, [score_output(doc, "<answer>容留他人吸毒 | 7</answer>")])["retrieval_recall"]
               for doc in original + poisoned]
    assert all(len(doc["retrieved_articles"]) == 3 for doc in original + poisoned)
    # BM25 over the fact finds Art. 354 in the top 3 for about half of the cases (0.53 measured; long facts also
    # match general provisions, e.g. Art. 67 on confession); a broken index or query would find none
    assert 0.4 < sum(recalls) / len(recalls) < 1.0
    found = next(doc for doc in poisoned if "354-0-0" in doc["retrieved_articles"])
    assert "吸食、注射、交易毒品" in found["prompt"]  # the changed provision is the one shown: the law in force
    assert "吸食、注射、交易毒品" not in next(d for d in original if "354-0-0" in d["retrieved_articles"])["prompt"]
    gold = load_side_dataset("action_explicit_extend", "original", data_dir)[0]
    assert "retrieved_articles" not in gold
    assert "retrieval_recall" not in process_results(gold, ["<answer>不违规</answer>"])


def test_eval_rag_reports_retrieval_recall_on_every_subtask(tiny_model, shared_data, lawshift_index, tmp_path):
    runs = tmp_path / "runs"
    # in this process (the index opened by the other tests is reused); `rag query` covers a fresh process
    assert main(["eval", "--model", str(tiny_model), "--tasks", "lawshift", "--data-dir", str(shared_data),
                 "--rag", str(lawshift_index), "--rag-k", "2", "--limit", "2", "--gen-kwargs", "max_gen_toks=4",
                 "--output-dir", str(runs)]) == 0
    run_dir = runs / f"{tiny_model.name}-rag"  # its own folder: never merged into the gold-article run
    results = json.loads(latest_results(run_dir).read_text(encoding="utf-8"))
    subtasks = [f"lawshift_{s}_{side}" for s in SCENARIOS for side in ("original", "poisoned")]
    for name in [*subtasks, "lawshift_original", "lawshift_poisoned", "lawshift"]:
        assert 0.0 <= results["results"][name]["retrieval_recall,none"] <= 1.0, name
    rag = results["lawbench"]["rag"]
    index = open_index(lawshift_index)
    assert rag["digest"] == index.digest and rag["provisions"] == 891 and (rag["retriever"], rag["k"]) == ("bm25", 2)
    assert str(lawshift_index) not in json.dumps(rag)  # the manifest names the index by content, not by path
    sample = json.loads(next(run_dir.glob("samples_lawshift_action_explicit_extend_poisoned_*.jsonl"))
                        .read_text(encoding="utf-8").splitlines()[0])
    assert len(sample["doc"]["retrieved_articles"]) == 2 and "retrieval_recall" in sample


def test_eval_rag_refuses_a_missing_index_before_loading_a_model(tiny_model, tmp_path, capsys, monkeypatch):
    from lawbench.models import load

    monkeypatch.setattr(load, "build_lm", lambda *a, **k: pytest.fail("the model was loaded"))
    assert main(["eval", "--model", str(tiny_model), "--tasks", "lawshift", "--rag", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "no such index folder" in err and err.count("\n") == 1


def test_legal_qa_questions_get_retrieved_provisions(shared_data, lawshift_index):
    from lawbench.tasks.legal_qa import utils

    docs = utils.load_disc_subjective(str(shared_data), rag_index=str(lawshift_index), rag_k=2)["test"]
    plain = utils.load_disc_subjective(str(shared_data))["test"]
    assert len(docs) == len(plain) and docs[0]["prompt"].endswith(plain[0]["prompt"])
    assert docs[0]["prompt"].startswith("【相关法条】\n【") and len(docs[0]["retrieved_articles"]) <= 2
