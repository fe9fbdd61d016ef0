"""Reading predictions to re-score: LawBench files, lawbench samples files, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lawbench.errors import DataError, TaskError
from lawbench.metrics.lawbench_oc import load_predictions, score_file
from lawbench.metrics.lawbench_oc.files import infer_task


def write_json(path: Path, payload) -> Path:
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path


def lawbench_record(prediction: str, refr: str) -> dict:
    return {"origin_prompt": [{"role": "HUMAN", "prompt": "根据下列事实预测判决刑期。\n事实:……"}],
            "prediction": prediction, "refr": refr}


def sample_line(prediction: str, answer: str, doc_id: int = 0) -> str:
    doc = {"idx": doc_id, "task_id": "3-4", "instruction": "根据下列事实预测判决刑期。", "question": "事实:……",
           "answer": answer}
    return json.dumps({"doc_id": doc_id, "doc": doc, "target": answer,
                       "arguments": {"gen_args_0": {"arg_0": "<|im_start|>user\n根据下列事实预测判决刑期。\n事实:……",
                                                    "arg_1": {}}},
                       "resps": [[prediction]], "filtered_resps": [prediction]}, ensure_ascii=False)


# --------------------------------------------------------------------------- LawBench files
def test_lawbench_file_is_read_in_key_order(tmp_path):
    path = write_json(tmp_path / "3-4.json", {"1": lawbench_record("[刑期]6个月<eoa>", "刑期:6个月"),
                                              "0": lawbench_record("不知道", "刑期:4个月")})
    records = load_predictions(path)
    assert [r["prediction"] for r in records] == ["不知道", "[刑期]6个月<eoa>"]
    assert records[0]["origin_prompt"][0]["role"] == "HUMAN"
    result = score_file(None, path)  # task inferred from LawBench's file name
    assert result["task"] == "3-4" and result["n"] == 2 and result["abstention_rate"] == 0.5
    assert result["predictions"] == str(path)


@pytest.mark.parametrize("payload, message", [
    ([lawbench_record("a", "b")], r"expected LawBench predictions, an object keyed"),
    ({"0": lawbench_record("a", "刑期:1个月"), "2": lawbench_record("a", "刑期:1个月")},
     r"record key '1' is missing .*found '2'"),
    ({"0": {"origin_prompt": "", "refr": "刑期:1个月"}}, r"record '0': missing field 'prediction'"),
    ({"0": {"origin_prompt": "", "prediction": None, "refr": "刑期:1个月"}},
     r"record '0': field 'prediction' must be text, got NoneType"),
    ({"0": "text"}, r"record '0': expected an object"),
])
def test_malformed_lawbench_files_name_the_file_and_key(tmp_path, payload, message):
    path = write_json(tmp_path / "preds.json", payload)
    with pytest.raises(DataError, match=message) as err:
        score_file("3-4", path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_bad_reference_names_the_record_key(tmp_path):
    path = write_json(tmp_path / "3-4.json", {"0": lawbench_record("6个月", "刑期:6个月"),
                                              "1": lawbench_record("6个月", "刑期:半年")})
    with pytest.raises(DataError,
                       match=r"3-4.json record '1': reference '刑期:半年' is not '刑期:<n>个月' \(task 3-4\)"):
        score_file(None, path)


def test_invalid_json_and_missing_file(tmp_path):
    broken = tmp_path / "1-2.json"
    broken.write_text('{"0": {"prediction": "A",', encoding="utf-8")
    with pytest.raises(DataError, match=r"1-2.json: invalid JSON at line 1"):
        score_file(None, broken)
    with pytest.raises(DataError, match="file not found"):
        load_predictions(tmp_path / "absent.json")


# --------------------------------------------------------------------------- samples files
def test_samples_file_lines(tmp_path):
    path = tmp_path / "samples_lawbench_oc_3_4_2026-01-01T00-00-00.jsonl"
    path.write_text(sample_line("[刑期]4个月<eoa>", "刑期:4个月") + "\n\n" + sample_line("不知道", "刑期:6个月", 1)
                    + "\n", encoding="utf-8")
    records = load_predictions(path)
    # the prompt as lawbench eval scores it: LawBench's, from the doc, not the chat-templated one sent
    assert records[0] == {"origin_prompt": "根据下列事实预测判决刑期。\n事实:……",
                          "prediction": "[刑期]4个月<eoa>", "refr": "刑期:4个月"}
    result = score_file(None, path)
    assert result["task"] == "3-4" and result["n"] == 2
    assert result["score"] == pytest.approx(0.5)  # one exact term, one abstention at the maximum distance


def test_samples_fall_back_to_resps_and_the_doc_prompt(tmp_path):
    line = json.loads(sample_line("6个月", "刑期:6个月"))
    del line["filtered_resps"], line["arguments"]
    path = tmp_path / "run.jsonl"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    (record,) = load_predictions(path)
    assert record["prediction"] == "6个月"
    assert record["origin_prompt"] == "根据下列事实预测判决刑期。\n事实:……"


@pytest.mark.parametrize("line, message", [
    ('{"doc": ', r"line 2: invalid JSON at column"),
    ('{"resps": [["a"]]}', r"line 2: field 'doc' must be an object with the reference text 'answer'"),
    ('{"doc": {"answer": "刑期:1个月"}, "resps": []}', r"line 2: no model output"),
    ('["a"]', r"line 2: expected an lm-eval sample object"),
])
def test_malformed_samples_name_the_line(tmp_path, line, message):
    path = tmp_path / "samples_lawbench_oc_3_4_x.jsonl"
    path.write_text(sample_line("6个月", "刑期:6个月") + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        score_file(None, path)
    assert str(path) in str(err.value)


def test_bad_reference_in_samples_names_the_line(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_text(sample_line("6个月", "刑期:6个月") + "\n" + sample_line("6个月", "六个月", 1) + "\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"samples.jsonl line 2: reference '六个月'"):
        score_file("lawbench_oc_3_4", path)


def test_task_is_inferred_from_file_names_only():
    assert infer_task("runs/x/samples_lawbench_oc_2_10_2026-01-01T00-00-00.jsonl") == "2-10"
    assert infer_task("predictions/GPT4/3-8.json") == "3-8"
    with pytest.raises(TaskError, match="cannot tell the task from the file name"):
        infer_task("predictions.jsonl")
