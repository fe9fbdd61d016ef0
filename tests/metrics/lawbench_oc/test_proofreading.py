"""LawBench 2-1 (document proofreading): ``wsjd.py``'s preparation of the sentences, the score on
hand-made records, and parity with LawBench's own run on the published prediction files.

``official_scores_2-1.json`` holds what LawBench's ChERRANT gave on each file, with the lines whose
annotation it abandoned after 10 seconds (scored as ``无``); lawbench annotates every line, so a file
with such lines is checked with the same lines replaced by ``无`` (exact), and its plain score differs.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lawbench.errors import DataError
from lawbench.metrics.lawbench_oc import load_predictions, score_file, score_task
from lawbench.metrics.lawbench_oc.proofreading import cherrant_target, clean_prediction, origin_of
from tests.support import SHARED_DATA

PREDICTIONS = SHARED_DATA / "lawbench_oc" / "predictions"
OFFICIAL_FILE = PREDICTIONS / "official_scores_2-1.json"
OFFICIAL = json.loads(OFFICIAL_FILE.read_text(encoding="utf-8")) if OFFICIAL_FILE.is_file() else []
TABLES = SHARED_DATA / "cherrant"
needs_data = pytest.mark.skipif(not (OFFICIAL and TABLES.is_dir()),
                                reason=f"2-1 predictions or ChERRANT tables not found under {SHARED_DATA}")
PROMPT = "纠正下面法律文书句子中字词的拼写、冗余、缺失、乱序错误。句子：\n{}"


def test_sentences_are_prepared_as_wsjd_does():
    chat = "<|im_start|>user\n纠正……句子：\n上诉证据合法。<|im_end|>\n<|im_start|>assistant\n"
    assert origin_of(chat) == "上诉证据合法。<|im_end|>"  # the chat tag stays in the origin
    assert origin_of([{"role": "HUMAN", "prompt": PROMPT.format("上诉\t证据")}]) == "上诉证据"
    with pytest.raises(ValueError, match="句子："):
        origin_of("no sentence here")
    assert clean_prediction("上述证据合法。\n修改说明：……", "上述证据合法。") == "上述证据合法。修改说明："  # ref + 5
    assert clean_prediction("\n\t", "上述证据合法。") == "无内容"
    assert cherrant_target(" 上述 證據 ") == "上述证据"  # whitespace dropped, traditional → simplified
    assert cherrant_target("   ") == "无"  # ChERRANT fails on an empty target and scores 无 instead


@needs_data
def test_score_on_hand_made_records():
    triples = [("上诉证据合法，足以认定指控实施。", "上述证据合法，足以认定指控事实。",
                "上述证据合法，足以认定指控事实。"),
               ("被告人对指控事实无异议。", "被告人对指控的事实无异议。", "被告人对指控事实无异议。"),
               ("本院认为被告人犯盗窃罪。", "", "本院认为，被告人犯盗窃罪。")]
    records = [{"origin_prompt": PROMPT.format(origin), "prediction": prediction, "refr": reference}
               for origin, prediction, reference in triples]
    result = score_task("lawbench_oc_2_1", records, data_dir=str(SHARED_DATA))
    # ChERRANT's gold for 1: 诉→述, insert 事, delete 施 (all found); 2: a wrong insertion (的);
    # 3: 无内容 replaces the whole sentence (wrong) and the comma is missed. P = 3/5, R = 3/4.
    assert (result["tp"], result["fp"], result["fn"]) == (3, 2, 1)
    assert (result["precision"], result["recall"], result["score"]) == (0.6, 0.75, 0.625)
    assert result["abstention_rate"] == 0.0 and result["abstention_rate_strict"] == pytest.approx(1 / 3)


def test_a_prompt_without_the_sentence_is_an_error_naming_the_record(tmp_path):
    records = [{"origin_prompt": "纠正下面的句子", "prediction": "x", "refr": "y"}]
    with pytest.raises(DataError, match="records record 0: origin_prompt: the prompt has no '句子：'"):
        score_task("2-1", records, data_dir=str(tmp_path))


@needs_data
@pytest.mark.parametrize("row", OFFICIAL, ids=lambda row: row["model"])
def test_parity_with_lawbench(row):
    path = PREDICTIONS / "zero_shot" / row["model"] / "2-1.json"
    replaced = row["timeout_replaced_pred_lines"]
    if replaced:  # reproduce the official run's timeouts
        records = load_predictions(path)
        for line in replaced:
            records[line] = {**records[line], "prediction": "无"}
        result = score_task("2-1", records, data_dir=str(SHARED_DATA))
        plain = score_file("2-1", path, data_dir=str(SHARED_DATA))  # lawbench annotates those lines too
        assert plain["n"] == row["n"] and 0 <= plain["score"] <= 1
    else:
        result = score_file("2-1", path, data_dir=str(SHARED_DATA))
    got = {key: result[key] for key in ("score", "tp", "fp", "fn", "precision", "recall", "n")}
    assert got == {key: row[key] for key in got}


@needs_data
def test_cli_scores_2_1_with_the_data_dir_and_names_missing_tables(tmp_path):
    records = load_predictions(PREDICTIONS / "zero_shot" / OFFICIAL[0]["model"] / "2-1.json")[:25]
    path = tmp_path / "2-1.json"
    path.write_text(json.dumps({str(i): r for i, r in enumerate(records)}, ensure_ascii=False), encoding="utf-8")

    def score(*args):
        return subprocess.run([sys.executable, "-m", "lawbench", "score", "--task", "lawbench_oc_2_1",
                               "--predictions", str(path), "--json", *args], capture_output=True, text=True,
                              timeout=300)

    done = score("--data-dir", str(SHARED_DATA))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        **score_task("2-1", records, data_dir=str(SHARED_DATA)), "task": "2-1"}
    missing = score("--data-dir", str(tmp_path))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"lawbench: error: {tmp_path}/cherrant/cilin.txt: file not found (LawBench 2-1 scoring needs ChERRANT's "
        "cilin.txt and confusion_dict.txt: copy evaluation/utils/data/ of github.com/open-compass/LawBench)"]


@needs_data
def test_lm_eval_hooks_check_the_tables_first_and_score_with_them(tmp_path):
    """``lawbench eval``'s path: the dataset hook refuses a data dir without ChERRANT's tables before any
    generation, and the aggregation scores with the tables of the data dir the task was loaded from."""
    from lawbench.tasks.lawbench_oc import utils

    folder = tmp_path / "lawbench_oc" / "zero_shot"
    folder.mkdir(parents=True)
    docs = [{"instruction": "纠正句子。句子：", "question": "上诉证据合法。", "answer": "上述证据合法。"}]
    (folder / "2-1.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DataError, match="cherrant/cilin.txt: file not found"):
        utils.load_lawbench_oc("2-1", str(tmp_path))
    (tmp_path / "cherrant").symlink_to(TABLES)
    (doc,) = utils.load_lawbench_oc("2-1", str(tmp_path))["test"]
    items = [utils.process_results(doc, ["上述证据合法。"])["score"]]
    assert utils.aggregate_score(items) == 1.0 and utils.aggregate_score_strict(items) == 1.0


@needs_data
def test_reference_folders_rescore_2_1_with_the_tables_and_skip_it_without(tmp_path):
    from lawbench.leaderboard.reference import reference_runs

    records = [{"origin_prompt": PROMPT.format(origin), "prediction": prediction, "refr": reference}
               for origin, prediction, reference in (("上诉证据合法。", "上述证据合法。", "上述证据合法。"),
                                                     ("指控实施清楚。", "指控实施清楚。", "指控事实清楚。"))]
    model = tmp_path / "reference" / "m"
    model.mkdir(parents=True)
    (model / "2-1.json").write_text(json.dumps(dict(enumerate(records)), ensure_ascii=False), encoding="utf-8")
    (model / "3-4.json").write_text(json.dumps({"0": {"origin_prompt": "", "prediction": "[刑期]4个月<eoa>",
                                                      "refr": "刑期:4个月"}}, ensure_ascii=False), encoding="utf-8")
    (run,) = reference_runs(tmp_path / "reference", str(tmp_path))  # no cherrant/: 2-1 left out
    assert set(run.run.results["results"]) == {"lawbench_oc_3_4"}
    (tmp_path / "cherrant").symlink_to(TABLES)
    (run,) = reference_runs(tmp_path / "reference", str(tmp_path))
    expected = score_task("2-1", records, data_dir=str(tmp_path))["score"]
    assert run.run.results["results"]["lawbench_oc_2_1"]["score,none"] == expected == 0.7143
