"""Loading LawShift from a data dir: validation errors, prompts, skipping, the hub fallback."""

from __future__ import annotations

import json

import pytest

from lawbench import sources
from lawbench.errors import DataError
from lawbench.tasks.lawshift.data import available_sides, load_side_dataset
from tests.support.sources import write_lawshift


def test_loads_docs_with_prompt_and_target(lawshift_dir):
    docs = load_side_dataset("term_up", "poisoned", data_dir=str(lawshift_dir))
    assert len(docs) == 3
    doc = docs[0]
    assert doc["shift_type"] == "TU" and doc["side"] == "poisoned" and doc["scenario_code"] == "T6.1"
    assert "交易毒品" in doc["prompt"]  # the changed statute is shown on the poisoned side
    assert doc["fact"] in doc["prompt"] and "【354-0-0】" in doc["prompt"]
    assert doc["target"] == "容留他人吸毒 | >=120"
    nv = load_side_dataset("object_explicit_reduce", "poisoned", data_dir=str(lawshift_dir))
    assert nv[0]["target"] == "不违规"


def test_both_mode_shows_old_and_new_statute(lawshift_dir):
    doc = load_side_dataset("term_up", "poisoned", data_dir=str(lawshift_dir), articles_mode="both")[0]
    assert "旧法" in doc["prompt"] and "新法" in doc["prompt"]
    assert "吸食、注射毒品的" in doc["prompt"] and "交易毒品" in doc["prompt"]
    original = load_side_dataset("term_up", "original", data_dir=str(lawshift_dir), articles_mode="both")[0]
    assert "旧法" not in original["prompt"]


def test_data_dir_from_environment(lawshift_dir, monkeypatch):
    monkeypatch.setenv("LAWBENCH_DATA_DIR", str(lawshift_dir))
    assert len(load_side_dataset("term_up", "original")) == 3


def test_records_the_hash_of_every_file_read(lawshift_dir):
    sources.reset_read_log()
    load_side_dataset("term_up", "poisoned", data_dir=str(lawshift_dir))
    read = sources.files_read()
    assert {p.split("/")[-1] for p in read} == {"poisoned.json", "articles_poisoned.json"}
    assert all(len(h) == 64 for h in read.values())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r[1].pop("charge"), "record 1: missing field 'charge'"),
        (lambda r: r[2].update(prison_time="7"), "record 2: field 'prison_time' must be int, got str"),
        (lambda r: r[0].update(relevant_articles="354-0-0"), "record 0: field 'relevant_articles' must be list"),
        (lambda r: r[1].update(fact="  "), "record 1: field 'fact' is empty"),
        (lambda r: r[0].update(prison_time=True), "record 0: field 'prison_time' must be int, got bool"),
    ],
)
def test_malformed_records_name_file_and_index(tmp_path, mutate, message):
    base = write_lawshift(tmp_path, {"term_up": 3})
    path = base / "term_up" / "original.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    mutate(records)
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_side_dataset("term_up", "original", data_dir=str(tmp_path))
    assert str(path) in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_broken_json_and_encoding(tmp_path):
    base = write_lawshift(tmp_path, {"term_up": 2})
    path = base / "term_up" / "original.json"
    path.write_text('[{"fact": "x",', encoding="utf-8")
    with pytest.raises(DataError, match=r"original\.json: invalid JSON at line 1"):
        load_side_dataset("term_up", "original", data_dir=str(tmp_path))
    path.write_bytes("[]".encode("utf-16"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_side_dataset("term_up", "original", data_dir=str(tmp_path))
    path.write_text('{"fact": "x"}', encoding="utf-8")
    with pytest.raises(DataError, match="expected a JSON list"):
        load_side_dataset("term_up", "original", data_dir=str(tmp_path))


def test_available_sides_reports_what_is_missing(tmp_path):
    base = write_lawshift(tmp_path, {"term_up": 2, "term_down": 2})
    (base / "term_down" / "poisoned.json").unlink()
    (base / "not_a_scenario").mkdir()
    present, skipped = available_sides(str(tmp_path))
    assert present == {("term_up", "original"), ("term_up", "poisoned"), ("term_down", "original")}
    assert skipped["term_down/poisoned"] == "missing poisoned.json"
    assert skipped["subject_explicit_extend"] == "folder missing"
    assert len([k for k in skipped if "/" not in k]) == 29
    assert available_sides(None) is None  # no local copy: the hub copy holds every scenario


def test_offline_without_local_copy_names_the_folder(tmp_path):
    with pytest.raises(DataError) as err:
        load_side_dataset("term_up", "original", data_dir=str(tmp_path))
    message = str(err.value)
    assert f"{tmp_path}/lawshift/" in message and "triangularPeach/LawShift" in message
    assert "\n" not in message


def test_real_scenarios_load(shared_data):
    docs = load_side_dataset("action_explicit_extend", "original", data_dir=str(shared_data))
    assert len(docs) == 102 and docs[0]["charge"] == "容留他人吸毒"
