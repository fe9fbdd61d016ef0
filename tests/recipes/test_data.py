"""Recipe inputs: format detection, file types, mixtures, assistant-token masks, weighted loss math."""

from __future__ import annotations

import json
import math

import pytest
import torch

from lawbench.errors import DataError, LawbenchError
from lawbench.recipes.data import detect_format, load_records, to_messages
from lawbench.recipes.pt import pack, parse_mixture
from lawbench.recipes.weighted import per_example_loss, weighted_loss


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        ({"text": "法律"}, "text"),
        (["其他", "刑法", "第一条……"], "lawgpt_articles"),
        ({"prompt": "问", "response": "答"}, "prompt_response"),
        ({"prompt": "问", "completion": "答"}, "prompt_response"),
        ({"instruction": "指令", "input": "输入", "output": "输出"}, "alpaca"),
        ({"messages": [{"role": "user", "content": "问"}]}, "messages"),
        ({"conversations": [{"from": "human", "value": "问"}]}, "sharegpt"),
        ({"fact": "f", "relevant_articles": [], "charge": "c", "prison_time": 1}, "lawshift"),
        ({"instruction": "i", "question": "q", "answer": "a"}, "lawbench"),
        ({"prompt": "p", "chosen": "a", "rejected": "b"}, "preference"),
        ({"prompt": "p", "completion": "a", "label": True}, "unpaired"),
        ({"case": 0, "sample": 0, "response": "r", "accepted": True, "prompt": [], "weight": 1.0}, "rs_samples"),
    ],
)
def test_detects_each_format(record, kind):
    assert detect_format(record, "x") == kind


def test_unknown_format_lists_the_accepted_ones():
    with pytest.raises(DataError) as err:
        detect_format({"question": "q", "reply": "r"}, "data.jsonl record 0")
    message = str(err.value)
    assert message.startswith("data.jsonl record 0: unknown record format with fields ['question', 'reply']")
    for name in ("messages", "sharegpt", "alpaca", "prompt_response", "lawshift", "text", "preference"):
        assert name in message


def test_reads_every_file_type(tmp_path):
    rows = [{"prompt": "问题一", "response": "回答一"}, {"prompt": "问题二", "response": "回答二"}]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    import pandas as pd

    pd.DataFrame(rows).to_csv(tmp_path / "c.csv", index=False)
    pd.DataFrame(rows).to_parquet(tmp_path / "d.parquet")
    for name in ("a.jsonl", "b.json", "c.csv", "d.parquet"):
        loaded = load_records(str(tmp_path / name))
        assert loaded.format == "prompt_response" and len(loaded.records) == 2, name
        assert loaded.records[1]["response"] == "回答二"
    (tmp_path / "t.txt").write_text("第一段。\n\n第二段。\n", encoding="utf-8")
    assert [r["text"] for r in load_records(str(tmp_path / "t.txt")).records] == ["第一段。", "第二段。"]
    assert load_records(str(tmp_path / "a.jsonl")).fingerprint != load_records(str(tmp_path / "b.json")).fingerprint


def test_mixed_formats_and_missing_sources_are_errors(tmp_path):
    (tmp_path / "m.jsonl").write_text('{"text": "a"}\n{"prompt": "p", "response": "r"}\n', encoding="utf-8")
    with pytest.raises(DataError, match="record 1: format prompt_response differs from record 0"):
        load_records(str(tmp_path / "m.jsonl"))
    with pytest.raises(DataError, match="dataset not found"):
        load_records(str(tmp_path / "nope.jsonl"))
    (tmp_path / "bad.jsonl").write_text('{"text": "a"}\n{oops\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.jsonl line 2: invalid JSON"):
        load_records(str(tmp_path / "bad.jsonl"))


def test_chat_conversion():
    sharegpt = {"conversations": [{"from": "system", "value": "s"}, {"from": "human", "value": "q"},
                                  {"from": "gpt", "value": "a"}]}
    assert [m["role"] for m in to_messages(sharegpt, "sharegpt", "x")] == ["system", "user", "assistant"]
    alpaca = to_messages({"instruction": "翻译", "input": "法律", "output": "law"}, "alpaca", "x")
    assert alpaca[0]["content"] == "翻译\n法律"
    with pytest.raises(DataError, match="no assistant turn"):
        to_messages({"messages": [{"role": "user", "content": "q"}]}, "messages", "x")


def test_mixture_parsing_and_packing():
    sources = parse_mixture(["legal=laws.txt:0.7", "general=wiki.jsonl:0.2", "code=/data/code.jsonl:0.1"])
    assert [(s.name, s.path) for s in sources] == [("legal", "laws.txt"), ("general", "wiki.jsonl"),
                                                   ("code", "/data/code.jsonl")]
    assert math.isclose(sum(s.ratio for s in sources), 1.0) and math.isclose(sources[0].ratio, 0.7)
    with pytest.raises(LawbenchError, match="unique"):
        parse_mixture(["a=x.txt:1", "a=y.txt:1"])
    assert pack([[1, 2, 3, 4]], eos_id=9, block_size=2) == [[1, 2], [3, 4], [9]]


def test_weighted_loss_matches_a_hand_computation():
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 7)
    labels = torch.tensor([[-100, 1, 2, -100, -100], [-100, -100, 3, 4, 5], [-100, 6, -100, -100, -100]])
    weights = torch.tensor([0.5, 0.5, 1.0])  # a case with 2 accepted answers, a case with 1
    by_hand = []
    for row in range(3):
        terms = [-torch.log_softmax(logits[row, t - 1], dim=-1)[labels[row, t]] for t in range(1, 5 + 0)
                 if labels[row, t] != -100]
        by_hand.append(sum(terms) / len(terms))
    expected = sum(w * loss for w, loss in zip(weights, by_hand)) / weights.sum()
    assert torch.allclose(per_example_loss(logits, labels), torch.stack(by_hand), atol=1e-6)
    assert torch.allclose(weighted_loss(logits, labels, weights), expected, atol=1e-6)
    # Split over two micro-batches with the step's total weight: the sum equals the whole-batch loss.
    halves = weighted_loss(logits[:2], labels[:2], weights[:2], weights.sum()) + \
        weighted_loss(logits[2:], labels[2:], weights[2:], weights.sum())
    assert torch.allclose(halves, expected, atol=1e-6)
