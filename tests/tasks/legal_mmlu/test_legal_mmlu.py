"""Legal multiple-choice tasks: loaders for five layouts, answer extraction, lm-eval wiring."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lawbench.errors import DataError
from lawbench.metrics.choice import MULTI_CHOICES, extract_choice
from lawbench.tasks import TASKS_DIR
from lawbench.tasks.legal_mmlu import _generate_configs, data
from tests.support.sources import write_mc_sources


@pytest.mark.parametrize(
    ("text", "multi", "expected"),
    [
        ("C", False, "C"),
        (" B. 违章停车", False, "B"),
        ("答案：D", False, "D"),
        ("The answer is (A).", False, "A"),
        ("A项错误，B项错误，故选C。", False, "C"),
        ("我先想选A，但答案是C", False, "C"),
        ("<think>可能是A</think>正确答案为B", False, "B"),
        ("只有C正确", False, "C"),
        ("A项错误，B项错误，C项正确", False, ""),  # three letters, no conclusion: no guess
        ("ABD", True, "ABD"),
        ("答案是A、B和D。", True, "ABD"),
        ("故选 D,A", True, "AD"),
        ("不知道", True, ""),
        ("", False, ""),
    ],
)
def test_extract_choice(text, multi, expected):
    assert extract_choice(text, multi=multi) == expected


def test_multi_choices_are_the_subsets_of_two_or_more():
    assert len(MULTI_CHOICES) == 11 and "ABCD" in MULTI_CHOICES and "A" not in MULTI_CHOICES


def test_generated_yamls_are_current():
    for name, text in _generate_configs.render().items():
        assert (TASKS_DIR / "legal_mmlu" / name).read_text(encoding="utf-8") == text, f"{name} is stale"


def test_loaders_read_each_layout(tmp_path):
    write_mc_sources(tmp_path)
    root = str(tmp_path)
    mmlu = data.load_mmlu("jurisprudence", root)
    assert len(mmlu["test"]) == 4 and mmlu["test"][1]["answer"] == "C" and mmlu["test"][1]["C"] == "宪法"
    assert data.load_cmmlu("college_law", root)["test"][0]["id"] == "test-0"
    ceval = data.load_ceval("law", root)
    assert [d["id"] for d in ceval["test"]][:2] == ["val-0", "val-1"]  # the scored split is val
    single, multi = data.load_jecqa("single", root), data.load_jecqa("multi", root)
    assert {len(d["answer"]) for d in single["test"] + single["dev"]} == {1}
    assert {d["answer"] for d in multi["test"] + multi["dev"]} == {"ABD"}
    assert len(single["dev"]) == data.JECQA_FEWSHOT
    disc = data.load_disc("mult", "nje", root)
    assert disc["test"][0]["answer"] == "ABD" and disc["dev"][0]["answer"] == "ABD"
    assert disc["dev"][0]["question"] == "下列哪些属于刑罚的主刑？" and disc["dev"][0]["D"] == "有期徒刑"


def test_loader_errors_name_file_and_row(tmp_path):
    write_mc_sources(tmp_path)
    path = tmp_path / "cmmlu_legal" / "test" / "college_law.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text[2] = text[2].rsplit(",", 1)[0] + ",E"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"college_law\.csv row 2: answer must be option letters A-D, got 'E'"):
        data.load_cmmlu("college_law", str(tmp_path))
    jec = tmp_path / "jecqa" / "0_train.jsonl"
    jec.write_text('{"statement": "x"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"0_train\.jsonl line 1: missing field 'option_list'"):
        data.load_jecqa("single", str(tmp_path))
    with pytest.raises(DataError, match="disc_law_eval"):
        data.load_disc("sing", "nje", str(tmp_path / "elsewhere"))


def test_offline_hub_fallback_names_the_folder(tmp_path):
    with pytest.raises(DataError) as err:
        data.load_mmlu("jurisprudence", str(tmp_path))
    assert f"{tmp_path}/mmlu_legal/" in str(err.value) and "cais/mmlu" in str(err.value)


def test_real_data_counts(shared_data):
    assert len(data.load_mmlu("jurisprudence", str(shared_data))["test"]) == 87
    assert (len(data.load_jecqa("single", str(shared_data))["test"])
            + len(data.load_jecqa("multi", str(shared_data))["test"]) == 6266 - 4 - 10)
    assert all(len(d["answer"]) >= 2 for d in data.load_disc("mult", "nje", str(shared_data))["test"])


def test_eval_both_modes_on_the_tiny_model(tiny_model, tmp_path):
    write_mc_sources(tmp_path / "data")
    tasks = "mmlu_legal_jurisprudence,cmmlu_legal_college_law,jecqa_multi,disc_law_eval_sing_nje_gen,jecqa_multi_gen"
    done = subprocess.run([sys.executable, "-m", "lawbench", "eval", "--model", str(tiny_model), "--tasks", tasks,
                           "--data-dir", str(tmp_path / "data"), "--limit", "3", "--num-fewshot", "2",
                           "--gen-kwargs", "max_gen_toks=4", "--output-dir", str(tmp_path / "runs"),
                           "--run-name", "mc"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(next((tmp_path / "runs" / "mc").glob("results_*.json")).read_text(encoding="utf-8"))
    for name in ("mmlu_legal_jurisprudence", "cmmlu_legal_college_law", "jecqa_multi"):
        assert 0 <= results["results"][name]["acc,none"] <= 1 and "acc_norm,none" in results["results"][name]
    assert 0 <= results["results"]["jecqa_multi_gen"]["exact_match,extract"] <= 1
    assert results["n-shot"]["jecqa_multi"] == 2
    ll_file = next(p for p in (tmp_path / "runs" / "mc").glob("samples_jecqa_multi_*.jsonl") if "_gen_" not in p.name)
    sample = json.loads(ll_file.read_text(encoding="utf-8").splitlines()[0])
    assert len(sample["arguments"]) == len(MULTI_CHOICES)  # one log-likelihood request per letter subset
    gen = json.loads(next((tmp_path / "runs" / "mc").glob("samples_jecqa_multi_gen_*.jsonl")).read_text(
        encoding="utf-8").splitlines()[0])
    assert gen["filtered_resps"][0] == extract_choice(gen["resps"][0][0], multi=True)


def test_request_counts_cover_every_option(tiny_model, tmp_path):
    """A multiple-choice doc asks one log-likelihood per option; the manifest counts requests, not docs."""
    write_mc_sources(tmp_path / "data")
    args = [sys.executable, "-m", "lawbench", "eval", "--model", str(tiny_model), "--tasks", "jecqa_multi",
            "--data-dir", str(tmp_path / "data"), "--limit", "2", "--output-dir", str(tmp_path / "runs"),
            "--run-name", "r"]
    for expected_cached in (0, 2 * len(MULTI_CHOICES)):
        assert subprocess.run(args, capture_output=True, text=True, timeout=300).returncode == 0
        results = json.loads(sorted((tmp_path / "runs" / "r").glob("results_*.json"))[-1].read_text(encoding="utf-8"))
        requests = results["lawbench"]["requests"]
        assert requests["total"] == 2 * len(MULTI_CHOICES) and requests["from_cache"] == expected_cached
