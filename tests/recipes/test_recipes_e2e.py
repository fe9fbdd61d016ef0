"""Recipes on the tiny model, on CPU, a few steps each: masks, loss, lineage, rejection sampling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lawbench.errors import LawbenchError
from lawbench.evaluate import latest_results
from lawbench.recipes import runner
from tests.support import lawbench
from tests.support.recipes import FAST, fake_sampler, losses, math_finite, weights_changed
from tests.support.sources import write_lawshift


@pytest.fixture()
def cases(tmp_path) -> Path:
    """A LawShift scenario folder with 4 synthetic cases; returns the original.json path."""
    return write_lawshift(tmp_path, {"term_up": 4}) / "term_up" / "original.json"


def test_sft_masks_prompt_tokens(tiny_model, cases):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from lawbench.recipes.args import RecipeArguments
    from lawbench.recipes.data import load_records
    from lawbench.recipes.sft import lawshift_articles, record_messages, tokenized_dataset

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    loaded = load_records(str(cases))
    articles = lawshift_articles(RecipeArguments(), str(cases))
    chats = [record_messages(loaded, i, r, articles) for i, r in enumerate(loaded.records)]
    trainer = SFTTrainer(model=AutoModelForCausalLM.from_pretrained(tiny_model),
                         args=SFTConfig(output_dir="unused", bf16=False, report_to="none"),
                         train_dataset=tokenized_dataset(tokenizer, chats, None), processing_class=tokenizer)
    row = trainer.train_dataset[0]
    trained = [t for t, label in zip(row["input_ids"], row["labels"]) if label != -100]
    assert tokenizer.decode(trained) == "<answer>容留他人吸毒 | 7</answer><|im_end|>\n"
    prompt_part = tokenizer.decode([t for t, label in zip(row["input_ids"], row["labels"]) if label == -100])
    assert "【案件事实】" in prompt_part and "<|im_start|>system" in prompt_part  # carries no loss


def test_sft_trains_and_then_evaluates(tiny_model, cases, tmp_path):
    out = tmp_path / "sft"
    done = lawbench("recipe", "sft", "--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(out),
                    "--max_steps", "6", *FAST, "--then-eval", "--tasks", "lawshift_term_up_original",
                    "--data-dir", str(cases.parents[2]), "--limit", "2", "--eval_gen_kwargs", "max_gen_toks=8")
    assert done.returncode == 0, done.stderr[-3000:]
    curve = losses(out)
    assert all(math_finite(x) for x in curve) and curve[-1] < curve[0] * 0.8, curve
    assert weights_changed(Path(tiny_model), out)
    stage = json.loads((out / "lawbench_stage.json").read_text(encoding="utf-8"))
    assert (stage["stage"], stage["parent"], stage["recipe"]) == ("sft", "base", "sft")
    assert stage["datasets"][0]["format"] == "lawshift" and len(stage["datasets"][0]["fingerprint"]) == 64
    assert stage["config"]["training"]["max_steps"] == 6
    run = json.loads(latest_results(out / "eval" / "sft").read_text(encoding="utf-8"))
    assert (run["lawbench"]["stage"], run["lawbench"]["parent"]) == ("sft", "base")
    assert run["lawbench"]["model"]["path"] == str(out.resolve())
    assert "charge_acc,none" in run["results"]["lawshift_term_up_original"]


def test_lora_adapter_and_lineage_from_the_parent(tiny_model, cases, tmp_path):
    first, second = tmp_path / "pt-like", tmp_path / "child"
    args = ["--dataset", str(cases), "--max_steps", "2", *FAST, "--use_peft", "--lora_r", "4",
            "--lora_target_modules", "q_proj", "v_proj"]
    assert lawbench("recipe", "sft", "--model", str(tiny_model), "--output-dir", str(first), "--stage", "sft",
                    *args).returncode == 0
    assert (first / "adapter_config.json").is_file() and not (first / "model.safetensors").exists()
    done = lawbench("recipe", "sft", "--model", str(first), "--output-dir", str(second), "--stage", "sft2", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    stage = json.loads((second / "lawbench_stage.json").read_text(encoding="utf-8"))
    assert stage["parent"] == "sft"  # read from the input model's lawbench_stage.json


def test_pt_logs_a_loss_per_source(tiny_model, tmp_path):
    legal, general = tmp_path / "legal.txt", tmp_path / "general.jsonl"
    legal.write_text("\n\n".join(f"第{i}条 盗窃公私财物，数额较大的，处三年以下有期徒刑。" for i in range(60)),
                     encoding="utf-8")
    general.write_text("\n".join(json.dumps({"text": f"今天是晴天，第{i}天。"}, ensure_ascii=False)
                                 for i in range(60)),
                       encoding="utf-8")
    out = tmp_path / "pt"
    done = lawbench("recipe", "pt", "--model", str(tiny_model), "--dataset", f"legal={legal}:0.7",
                    f"general={general}:0.3", "--output-dir", str(out), "--max_steps", "8", *FAST[:-4],
                    "--max_length", "64", "--learning_rate", "5e-3")
    assert done.returncode == 0, done.stderr[-3000:]
    history = [h for h in json.loads((out / "trainer_state.json").read_text())["log_history"] if "loss" in h]
    assert len(history) == 8 and all("loss/legal" in h and "loss/general" in h for h in history)
    assert history[-1]["loss"] < history[0]["loss"] and history[-1]["loss/legal"] < history[0]["loss/legal"]
    stage = json.loads((out / "lawbench_stage.json").read_text(encoding="utf-8"))
    assert stage["mixture"] == {"legal": 0.7, "general": 0.3}


def test_rs_sft_keeps_what_the_scorer_accepts_and_weights_by_case(tiny_model, cases, tmp_path, monkeypatch):
    from lawbench.recipes import rs_sft

    monkeypatch.setattr(rs_sft, "sample_hf", fake_sampler([2, 1, 0, 4]))
    out = tmp_path / "rs"
    runner.main("rs-sft", ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(out),
                           "--rs_num_samples", "4", "--max_steps", "2", *FAST])
    stats = json.loads((out / "sampling_stats.json").read_text(encoding="utf-8"))
    assert stats == {"cases": 4, "generations": 16, "accepted": 7, "acceptance_rate": 7 / 16,
                     "cases_with_none_accepted": 1, "mean_accepted_per_case": 7 / 4,
                     "accepted_per_case_histogram": {"0": 1, "1": 1, "2": 1, "4": 1}}
    rows = [json.loads(line) for line in (out / "sampled.jsonl").read_text(encoding="utf-8").splitlines()]
    by_case = {}
    for row in rows:
        if row["accepted"]:
            by_case.setdefault(row["case"], []).append(row["weight"])
    assert by_case == {0: [0.5, 0.5], 1: [1.0], 3: [0.25] * 4}  # each case's weights sum to 1
    assert weights_changed(Path(tiny_model), out)
    assert json.loads((out / "lawbench_stage.json").read_text())["rejection_sampling"]["accepted"] == 7


def test_rs_sft_with_nothing_accepted_does_not_train(tiny_model, cases, tmp_path, monkeypatch):
    from lawbench.recipes import rs_sft

    monkeypatch.setattr(rs_sft, "sample_hf", fake_sampler([0]))
    out = tmp_path / "rs0"
    with pytest.raises(LawbenchError, match="accepted none of 8 answers to 4 cases"):
        runner.main("rs-sft", ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(out),
                               "--rs_num_samples", "2", "--max_steps", "2", *FAST])
    assert (out / "sampled.jsonl").is_file() and not (out / "model.safetensors").exists()
    assert not (out / "trainer_state.json").exists()


def test_resume_from_checkpoint(tiny_model, cases, tmp_path):
    out = tmp_path / "resume"
    base = ["recipe", "sft", "--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(out),
            *FAST[:6], "--save_strategy", "steps", "--save_steps", "2", "--learning_rate", "1e-3"]
    assert lawbench(*base, "--max_steps", "2").returncode == 0
    assert (out / "checkpoint-2").is_dir()
    done = lawbench(*base, "--max_steps", "4", "--resume_from_checkpoint", "true")
    assert done.returncode == 0, done.stderr[-2000:]
    state = json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))
    assert state["global_step"] == 4 and [h["step"] for h in state["log_history"] if "loss" in h] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--load_in_4bit"], "need a CUDA GPU"),
        (["--no_such_flag", "1"], "lawbench recipe sft:"),
        (["--config", "/nonexistent.yaml"], "--config file not found"),
    ],
)
def test_recipe_errors_are_one_line(tiny_model, cases, tmp_path, extra, message):
    done = lawbench("recipe", "sft", "--model", str(tiny_model), "--dataset", str(cases),
                    "--output-dir", str(tmp_path / "o"), *extra)
    assert done.returncode == 2 and message in done.stderr.strip().splitlines()[-1], done.stderr[-1500:]


def test_yaml_config_sets_defaults_and_the_cli_wins(tiny_model, cases, tmp_path):
    config = tmp_path / "sft.yaml"
    config.write_text(f"dataset: [{cases}]\nmax_steps: 5\nlearning_rate: 0.001\nstage: from-yaml\n", encoding="utf-8")
    ctx = runner.parse("sft", ["--config", str(config), "--model", str(tiny_model), "--output-dir",
                               str(tmp_path / "y"), "--max_steps", "3"])
    assert ctx.training.max_steps == 3 and ctx.training.learning_rate == 0.001 and ctx.stage == "from-yaml"
    assert ctx.recipe.dataset == [str(cases)]


def test_rs_sft_on_lawbench_term_records(tiny_model, tmp_path, monkeypatch):
    from lawbench.recipes import rs_sft

    data = tmp_path / "3-4.json"
    data.write_text(json.dumps([{"instruction": "请预测刑期。", "question": f"案件{i}：被告人盗窃财物。",
                                 "answer": "刑期:18个月"} for i in range(3)], ensure_ascii=False), encoding="utf-8")

    def sample(model, tokenizer, prompts, config):
        # the strict LawBench reading: 一年六个月 is 18 months (the compatible one would read 6)
        return [["[刑期]一年六个月<eoa>", "刑期：6个月", "判处有期徒刑1年6个月"] for _ in prompts]

    monkeypatch.setattr(rs_sft, "sample_hf", sample)
    out = tmp_path / "rs34"
    runner.main("rs-sft", ["--model", str(tiny_model), "--dataset", str(data), "--output-dir", str(out),
                           "--rs_num_samples", "3", "--max_steps", "1", *FAST])
    stats = json.loads((out / "sampling_stats.json").read_text(encoding="utf-8"))
    assert (stats["accepted"], stats["generations"]) == (6, 9)
