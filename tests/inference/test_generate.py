"""``lawbench generate`` with the in-process (hf) engine: fields kept, longest first, resumable, scoreable."""

from __future__ import annotations

import json

import pytest

from lawbench.cli import main
from lawbench.errors import DataError
from lawbench.inference import engines
from lawbench.inference.generate import GenerateConfig, run_generate
from lawbench.models.resolve import ModelOptions

ROWS = [{"id": 0, "prompt": "短", "reference": "短"},
        {"id": 1, "prompt": "被告人张某于2023年3月在某商场盗窃手机一部，价值五千元。", "reference": "盗窃罪"},
        {"id": 2, "messages": [{"role": "system", "content": "你是法官。"}, {"role": "user", "content": "你好"}],
         "reference": "你好"}]


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _config(tiny_model, source, out, batch_size=2):
    return GenerateConfig(model=ModelOptions(str(tiny_model), batch_size=batch_size), input=str(source),
                          output=str(out), gen_kwargs="max_gen_toks=4")


def test_generate_keeps_fields_sorts_by_length_and_resumes(tiny_model, tmp_path, monkeypatch):
    source, out = _write(tmp_path / "in.jsonl", ROWS), tmp_path / "out.jsonl"
    batches = []
    real = engines.HFEngine.generate

    def spy(self, requests, gen):
        batches.append(requests)
        return real(self, requests, gen)

    monkeypatch.setattr(engines.HFEngine, "generate", spy)
    assert run_generate(_config(tiny_model, source, out))["generated"] == 3
    assert [len(b) for b in batches] == [2, 1] and batches[0][0] == ROWS[1]["prompt"]  # the longest ran first
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [{k: v for k, v in line.items() if k != "prediction"} for line in lines] == ROWS  # input order
    one_by_one = tmp_path / "single.jsonl"
    run_generate(_config(tiny_model, source, one_by_one, batch_size=1))
    assert one_by_one.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")  # padding changes nothing

    # an interrupted run: one whole line and a torn one; only the two missing lines are generated again
    first = out.read_text(encoding="utf-8").splitlines()[0]
    out.write_text(first + "\n" + first[: len(first) // 2], encoding="utf-8")
    batches.clear()
    result = run_generate(_config(tiny_model, source, out))
    assert (result["skipped"], result["generated"]) == (1, 2) and sum(map(len, batches)) == 2
    assert out.read_text(encoding="utf-8") == one_by_one.read_text(encoding="utf-8")
    assert main(["score", "--predictions", str(out), "--json"]) == 0  # references: text metrics


@pytest.mark.parametrize("content, message", [
    ("", "no records"),
    ('{"prompt": "x"}\n{"question": "y"}\n', "line 2: needs 'prompt' (text) or 'messages' (a chat); fields present: "
                                             "'question'"),
    ('{"messages": []}\n', "line 1: 'messages' must be a non-empty list"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, content, message):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_generate(GenerateConfig(model=ModelOptions(str(tmp_path / "no-model")), input=str(source),
                                    output=str(out)))
    assert not out.exists()


def test_missing_model_is_one_line(tmp_path, capsys):
    source = _write(tmp_path / "in.jsonl", ROWS)
    assert main(["generate", "--model", str(tmp_path / "nope"), "--input", str(source), "--output",
                 str(tmp_path / "out.jsonl")]) == 2
    assert capsys.readouterr().err.strip() == f"lawbench: error: model not found: {tmp_path / 'nope'} (no such " \
                                              "folder, and not a hub id like org/name)"
    assert not (tmp_path / "out.jsonl").exists()
