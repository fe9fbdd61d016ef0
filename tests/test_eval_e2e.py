"""`lawbench eval` end to end on a tiny model, on CPU: outputs, adapters, API backend, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lawbench.evaluate import latest_results
from lawbench.tasks.lawshift.scenarios import subtask_name
from tests.support import lawbench
from tests.support.chat_server import FakeChatServer, serving
from tests.support.sources import write_lawshift

SCENARIOS = ("subject_explicit_extend", "object_explicit_reduce", "term_up")


def read_run(run_dir: Path) -> dict:
    path = latest_results(run_dir)
    assert path is not None, f"no results in {run_dir}"
    return json.loads(path.read_text(encoding="utf-8"))


def test_done_when_command_on_unseen_scenarios(tiny_model, lawshift_dir, tmp_path):
    runs = tmp_path / "runs"
    done = lawbench("eval", "--model", str(tiny_model), "--tasks", "lawshift", "--data-dir", str(lawshift_dir),
                    "--limit", "6", "--gen-kwargs", "max_gen_toks=16", "--output-dir", str(runs),
                    "--run-name", "x", "--stage", "base", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    results = read_run(runs / "x")
    for scenario in SCENARIOS:
        for side in ("original", "poisoned"):
            entry = results["results"][subtask_name(scenario, side)]
            for metric in ("charge_acc", "term_acc", "term_score", "verdict_acc", "parse_rate"):
                assert 0.0 <= entry[f"{metric},none"] <= 1.0
    assert results["n-samples"][subtask_name("term_up", "original")]["effective"] == 3
    group = results["results"]["lawshift"]
    assert "shift_gap_verdict_acc,none" in group and "verdict_acc,none" in results["results"]["lawshift_poisoned"]
    manifest = results["lawbench"]
    assert manifest["stage"] == "base" and manifest["model"]["kind"] == "checkpoint"
    assert len(manifest["model"]["fingerprint"]) == 64 and manifest["chat_template"]["applied"]
    assert set(manifest["versions"]) >= {"lawbench", "lm_eval", "transformers", "torch"}
    assert len(manifest["data_files"]) == 12 and all(len(h) == 64 for h in manifest["data_files"].values())
    timings = manifest["timings"]
    assert set(timings) == {"data_load_s", "model_load_s", "generation_s", "scoring_s", "statistics_s", "writing_s",
                            "other_s", "total_s"}
    # every phase is timed: the parts add up to the total (to the rounding of each part)
    assert abs(sum(v for k, v in timings.items() if k != "total_s") - timings["total_s"]) < 0.01
    assert manifest["requests"] == {"total": 22, "computed": 22, "from_cache": 0, "truncated": 0}
    assert manifest["tasks"][subtask_name("term_up", "poisoned")]["hash"]
    assert set(manifest["shift"]["scenarios"]) == set(SCENARIOS)
    samples = sorted((runs / "x").glob("samples_*.jsonl"))
    assert len(samples) == 6
    first = json.loads(samples[0].read_text(encoding="utf-8").splitlines()[0])
    assert "<|im_start|>system" in first["arguments"]["gen_args_0"]["arg_0"]  # chat template applied
    assert set(first) >= {"doc", "target", "resps", "filtered_resps", "charge_acc", "verdict_acc"}
    assert "28 other item(s) left out" in done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["run_dir"] == str(runs / "x")
    assert not list((runs / "x").glob("*.tmp")) and not list((runs / "x").glob(".*.tmp"))


def test_peft_adapter_and_no_chat_template(tiny_model, lawshift_dir, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    adapter = tmp_path / "adapter"
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model),
                           LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    model.save_pretrained(adapter)
    AutoTokenizer.from_pretrained(tiny_model).save_pretrained(adapter)
    runs = tmp_path / "runs"
    done = lawbench("eval", "--model", str(adapter), "--tasks", "lawshift_term_up_original", "--data-dir",
                    str(lawshift_dir), "--limit", "2", "--gen-kwargs", "max_gen_toks=8", "--output-dir", str(runs),
                    "--no-chat-template")
    assert done.returncode == 0, done.stderr[-2000:]
    results = read_run(runs / "adapter")  # run name defaults to the adapter folder's name
    manifest = results["lawbench"]["model"]
    assert manifest["kind"] == "adapter" and manifest["path"] == str(Path(tiny_model).resolve())
    assert manifest["adapter"] == str(adapter.resolve())
    weights = manifest["weights"]
    assert weights["adapter"]["fingerprint"] != weights["base"]["fingerprint"]
    assert not results["lawbench"]["chat_template"]["applied"]
    sample = json.loads(next((runs / "adapter").glob("samples_*.jsonl")).read_text(encoding="utf-8").splitlines()[0])
    assert "<|im_start|>" not in sample["arguments"]["gen_args_0"]["arg_0"]


def test_api_backend_against_a_local_server(lawshift_dir, tmp_path):
    with serving() as base_url:
        done = lawbench("eval", "--backend", "api", "--model", "fake-judge", "--base-url", base_url,
                        "--tasks", "lawshift", "--data-dir", str(lawshift_dir), "--limit", "2",
                        "--output-dir", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr[-2000:]
    results = read_run(tmp_path / "runs" / "fake-judge")["results"]
    # The constant answer is right on every original case, and on the poisoned side only where the act
    # stays a crime with an unchanged term (V); it is stale on NV and outside the TU range.
    assert results[subtask_name("subject_explicit_extend", "original")]["charge_acc,none"] == 1.0
    assert results[subtask_name("subject_explicit_extend", "poisoned")]["term_acc,none"] == 1.0
    assert results[subtask_name("object_explicit_reduce", "poisoned")]["verdict_acc,none"] == 0.0
    assert results[subtask_name("term_up", "poisoned")]["term_acc,none"] == 0.0
    assert results[subtask_name("term_up", "original")]["verdict_acc,none"] == 0.0  # 7 is outside [36, 120]
    assert results["lawshift_original"]["parse_rate,none"] == 1.0
    # charge: all 6 original right; poisoned V and TU keep the charge (4/6), NV expects not guilty.
    assert results["lawshift"]["shift_gap_charge_acc,none"] == pytest.approx(4 / 6 - 1)
    messages = FakeChatServer.seen[-1]["messages"]
    assert messages[0]["role"] == "system" and "<answer>" in messages[0]["content"]
    assert "【案件事实】" in messages[-1]["content"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "/nonexistent/model/dir"], "model not found: /nonexistent/model/dir"),
        (["--tasks", "no_such_task"], "unknown task 'no_such_task'"),
        (["--gen-kwargs", "max_gen_toks"], "is not key=value"),
    ],
)
def test_bad_input_exits_nonzero_with_one_line(tiny_model, lawshift_dir, tmp_path, args, message):
    base = {"--model": str(tiny_model), "--tasks": "lawshift", "--data-dir": str(lawshift_dir),
            "--output-dir": str(tmp_path / "runs")}
    base.update(dict(zip(args[::2], args[1::2])))
    done = lawbench("eval", *[x for pair in base.items() for x in pair])
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("lawbench: error: ")
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "runs").exists()


def test_malformed_data_file_fails_before_loading_the_model(tiny_model, tmp_path):
    write_lawshift(tmp_path, {"term_down": 3})
    bad = tmp_path / "lawshift" / "term_down" / "poisoned.json"
    bad.write_text(bad.read_text(encoding="utf-8").replace('"prison_time": 7', '"prison_time": "七"', 1),
                   encoding="utf-8")
    done = lawbench("eval", "--model", str(tiny_model), "--data-dir", str(tmp_path),
                    "--output-dir", str(tmp_path / "runs"))
    assert done.returncode == 2
    line = done.stderr.strip().splitlines()[-1]
    assert line == f"lawbench: error: {bad} record 0: field 'prison_time' must be int, got str '七'"
    assert not (tmp_path / "runs").exists()


def test_prompts_longer_than_the_context_keep_their_instructions(tiny_model, lawshift_dir, tmp_path):
    """Policy: keep the instruction (start) and the question (end), cut the case text; count the cuts."""
    from transformers import AutoTokenizer

    from lawbench.models.hflm import middle_truncate

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    runs = tmp_path / "runs"
    done = lawbench("eval", "--model", str(tiny_model), "--tasks", "lawshift_term_up_original", "--data-dir",
                    str(lawshift_dir), "--limit", "2", "--gen-kwargs", "max_gen_toks=8", "--max-length", "200",
                    "--output-dir", str(runs), "--run-name", "short")
    assert done.returncode == 0, done.stderr[-2000:]
    results = read_run(runs / "short")
    assert results["lawbench"]["requests"]["truncated"] == 2
    prompt = json.loads(next((runs / "short").glob("samples_*.jsonl")).read_text(encoding="utf-8").splitlines()[0])[
        "arguments"]["gen_args_0"]["arg_0"]
    kept = tokenizer.decode(middle_truncate(tokenizer(prompt)["input_ids"], 200 - 8))
    assert kept.startswith("<|im_start|>system\n你是一名") and kept.endswith("<|im_start|>assistant\n")


@pytest.mark.parametrize("answer", ["", "   ", "�\x00<answer><answer>", "完全无关的回答。" * 30])
def test_empty_or_garbage_outputs_are_counted_not_fatal(lawshift_dir, tmp_path, answer):
    with serving(answer) as base_url:
        done = lawbench("eval", "--backend", "api", "--model", "junk", "--base-url", base_url,
                        "--tasks", "lawshift_term_up_poisoned", "--data-dir", str(lawshift_dir), "--limit", "2",
                        "--output-dir", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr[-1500:]
    entry = read_run(tmp_path / "runs" / "junk")["results"][subtask_name("term_up", "poisoned")]
    assert entry["parse_rate,none"] == 0.0 and entry["verdict_acc,none"] == 0.0
