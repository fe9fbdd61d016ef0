"""``chat --rag`` and ``generate --rag``: provisions before the question, the min-score rule, what chat shows."""

from __future__ import annotations

import io
import json

import pytest

from lawbench.inference import chat, engines
from lawbench.inference.chat import ChatConfig, run_chat
from lawbench.inference.generate import GenerateConfig, run_generate
from lawbench.models.resolve import ModelOptions
from lawbench.rag import build_index

PROVISIONS = {  # written for these tests
    "264-0-0": "【盗窃罪】盗窃公私财物，数额较大的，或者多次盗窃、入户盗窃的，处三年以下有期徒刑、拘役或者管制。",
    "354-0-0": "【容留他人吸毒罪】容留他人吸食、注射毒品的，处三年以下有期徒刑、拘役或者管制，并处罚金。",
}


class Stub:
    """An engine that records what it is sent."""

    name, batch_size = "stub", 4

    def __init__(self):
        self.sent = []

    def stream(self, request, gen):
        self.sent.append(request)
        yield "好的"

    def generate(self, requests, gen):
        self.sent += requests
        return ["好的"] * len(requests)


class NotATerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture()
def index(tmp_path):
    corpus = tmp_path / "articles.json"
    corpus.write_text(json.dumps(PROVISIONS, ensure_ascii=False), encoding="utf-8")
    build_index([corpus], tmp_path / "idx", progress=False)
    return str(tmp_path / "idx")


def test_chat_adds_the_provisions_and_shows_them(index, monkeypatch):
    stub = Stub()
    monkeypatch.setattr(chat, "_open", lambda options: stub)
    out, notes = io.StringIO(), io.StringIO()
    config = ChatConfig(model=ModelOptions("m"), message="容留他人吸毒怎么判？", rag=index, rag_k=1)
    assert run_chat(config, stdin=NotATerminal(""), stdout=out, notes=notes) == 0
    [sent] = stub.sent
    assert sent[-1]["content"].startswith("【相关法条】\n【354-0-0】【容留他人吸毒罪】")
    assert sent[-1]["content"].endswith("容留他人吸毒怎么判？")
    assert out.getvalue() == "好的\n" and notes.getvalue().startswith("provisions: 354-0-0 (")
    stub.sent.clear()
    strict = ChatConfig(model=ModelOptions("m"), message="容留他人吸毒怎么判？", rag=index, rag_min_score=1000.0)
    run_chat(strict, stdin=NotATerminal(""), stdout=io.StringIO(), notes=notes)
    assert stub.sent[0][-1]["content"] == "容留他人吸毒怎么判？"  # below the minimum score: nothing added
    assert notes.getvalue().endswith("provisions: none above the minimum score\n")


def test_generate_adds_provisions_and_lists_them(index, tmp_path, monkeypatch):
    stub = Stub()
    monkeypatch.setattr(engines, "open_engine", lambda options: stub)
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"prompt": "入户盗窃如何处罚？"}, {"messages": [{"role": "user", "content": "容留吸毒"}], "id": 7}]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    config = GenerateConfig(model=ModelOptions("m"), input=str(source), output=str(out), rag=index, rag_k=1)
    assert run_generate(config)["generated"] == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["rag_provisions"][0]["id"] for line in lines] == ["264-0-0", "354-0-0"]
    assert any(isinstance(r, str) and r.startswith("【相关法条】\n【264-0-0】") for r in stub.sent)
    assert run_generate(config)["skipped"] == 2  # resumes: the added fields do not change a line's identity
