"""The statute index: corpus shapes, BM25 on the real LawShift articles, the dense path on a tiny embedder,
reopening from another process, content-hash reuse, supersession, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lawbench.errors import DataError, LawbenchError
from lawbench.rag import build_index, open_index, read_corpus
from tests.support import lawbench

PROVISIONS = {  # written for these tests
    "133-0-0": "【交通肇事罪】违反交通运输管理法规，因而发生重大事故，致人重伤、死亡的，处三年以下有期徒刑或者拘役。",
    "264-0-0": "【盗窃罪】盗窃公私财物，数额较大的，或者多次盗窃、入户盗窃的，处三年以下有期徒刑、拘役或者管制。",
    "266-0-0": "【诈骗罪】诈骗公私财物，数额较大的，处三年以下有期徒刑、拘役或者管制，并处或者单处罚金。",
    "354-0-0": "【容留他人吸毒罪】容留他人吸食、注射毒品的，处三年以下有期徒刑、拘役或者管制，并处罚金。",
}


def write_articles(folder: Path, provisions: dict | None = None, name: str = "articles.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(provisions or PROVISIONS, ensure_ascii=False), encoding="utf-8")
    return path


def test_bm25_over_the_lawshift_articles_finds_the_gold_article(lawshift_index):
    index = open_index(lawshift_index)
    assert index.size == 891 and index.retriever == "bm25"
    hits = index.search("被告人多次容留他人在其家中吸食毒品甲基苯丙胺", k=3)
    assert hits[0].id == "354-0-0" and hits[0].text.startswith("【容留他人吸毒罪】")
    assert hits[0].score >= hits[1].score > 0 and hits[0].scores == {"bm25": hits[0].score}


def test_reopened_from_another_process(lawshift_index):
    done = lawbench("rag", "query", str(lawshift_index), "盗窃公私财物数额较大", "-k", "2", "--json")
    assert done.returncode == 0, done.stderr[-1500:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["retriever"] == "bm25" and len(answer["hits"]) == 2
    assert answer["hits"][0]["id"] == open_index(lawshift_index).search("盗窃公私财物数额较大", k=1)[0].id


def test_changed_provisions_supersede_indexed_text(lawshift_index):
    changed = "【容留他人吸毒罪】容留他人吸食、注射、交易毒品的，处三年以下有期徒刑、拘役或者管制，并处罚金。"
    hit = open_index(lawshift_index).search("容留他人吸毒", k=1, overrides={"354-0-0": changed})[0]
    assert (hit.id, hit.text, hit.superseded) == ("354-0-0", changed, True)


def test_unchanged_files_are_not_indexed_again(tmp_path):
    first, second = write_articles(tmp_path), tmp_path / "more.jsonl"
    second.write_text(json.dumps({"id": "t1", "text": "劳动者每日工作时间不超过八小时。"}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    built = build_index([first], tmp_path / "idx", progress=False)
    again = build_index([first], tmp_path / "idx", progress=False)
    assert not built["unchanged"] and again["unchanged"] and again["digest"] == built["digest"]
    grown = build_index([first, second], tmp_path / "idx", progress=False)
    assert grown["reused"] == ["articles.json"] and grown["provisions"] == 5 and grown["digest"] != built["digest"]
    assert len(list((tmp_path / "idx").glob("data-*"))) == 1  # the previous data folder is gone
    assert open_index(tmp_path / "idx").search("每日工作时间", k=1)[0].id == "t1"


def test_dense_and_hybrid_with_a_tiny_local_embedder(tmp_path):
    from lawbench.tiny.embedder import init_tiny_embedder

    model = init_tiny_embedder(tmp_path / "emb", list(PROVISIONS.values()) + ["容留吸毒被告人"])
    other = init_tiny_embedder(tmp_path / "emb2", list(PROVISIONS.values()), seed=1)
    out = tmp_path / "idx"
    summary = build_index([write_articles(tmp_path)], out, embedding_model=str(model), progress=False)
    assert summary["retrievers"] == ["bm25", "dense"] and summary["embedding_model"] == "emb"
    index = open_index(out)
    assert index.retriever == "hybrid"
    dense = index.search("容留吸毒", k=4, retriever="dense")  # random weights: ranks mean nothing, shapes do
    assert len(dense) == 4 and all(-1.0001 <= h.score <= 1.0001 for h in dense)
    hybrid = index.search("容留他人吸毒", k=2)
    assert len(hybrid) == 2 and set(hybrid[0].scores) <= {"bm25", "dense"} and hybrid[0].score > 0
    with pytest.raises(LawbenchError, match="built with embedding model '.*emb', not"):
        open_index(out, embedding_model=str(other))
    with pytest.raises(LawbenchError, match="built with embedding model"):
        build_index([write_articles(tmp_path)], out, embedding_model=str(other), progress=False)
    from lawbench.metrics.rewards import make_similarity_reward

    similarity = make_similarity_reward(str(model))  # cosine (1 for the same text) + Jaccard (1), the seed's sum
    assert similarity(["容留他人吸毒", "好"], reference=["容留他人吸毒", None]) == [pytest.approx(2.0, abs=1e-5), None]
    extra = write_articles(tmp_path, {"x1": "【新罪】新增条文。"}, "extra.json")
    grown = build_index([write_articles(tmp_path), extra], out, progress=False)  # keeps the dense retriever
    assert grown["reused"] == ["articles.json"] and grown["retrievers"] == ["bm25", "dense"]


@pytest.mark.parametrize("name,content,message", [
    ("laws.csv", "a,b\n", "unknown corpus shape (file type '.csv')"),
    ("n.json", "3", "unknown corpus shape (JSON int)"),
    ("empty.json", "{}", "the corpus holds no provision text"),
    ("rows.json", '[{"id": "1", "text": "x"}]', "write it as JSON Lines"),
    ("blank.txt", "\n \n", "holds no provision text"),
    ("bad.jsonl", '{"id": "1"}\n', "bad.jsonl line 1: expected"),
    ("tri.json", '[["刑法", "刑法", "第一条 …"], ["刑法", 2]]', "tri.json record 1: expected [category, law, text]"),
])
def test_bad_corpus_files_fail_with_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_corpus(path)
    assert message in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_command_line_errors_are_one_line(tmp_path, capsys):
    from lawbench.cli import main

    assert main(["rag", "query", str(tmp_path / "missing"), "盗窃"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such index folder" in err
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("x", encoding="utf-8")
    assert main(["rag", "index", "--corpus", str(write_articles(tmp_path)), "--out", str(tmp_path / "notes")]) == 2
    assert "holds other files" in capsys.readouterr().err
    assert main(["rag", "index", "--corpus", str(tmp_path / "nope.json"), "--out", str(tmp_path / "i")]) == 2
    assert "nope.json: corpus file not found" in capsys.readouterr().err


def test_lawgpt_triples_get_article_ids(tmp_path):
    path = tmp_path / "core.json"
    rows = [["刑法", "刑法", "第三百五十四条 容留他人吸食、注射毒品的……"], ["宪法", "宪法", "序言"]]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert [p.id for p in read_corpus(path)] == ["刑法 第三百五十四条", "宪法 #1"]
