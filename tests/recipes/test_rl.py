"""grpo and ppo on the tiny model, on CPU: prompt rows, gold columns, reward models, LoRA, and toy tasks
whose logged reward must rise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from lawbench.errors import LawbenchError
from lawbench.recipes import runner
from tests.support.rewards import RECORDED
from tests.support.sources import write_lawshift

QUIET = ["--logging_steps", "1", "--report_to", "none", "--save_strategy", "no", "--disable_tqdm", "true"]


def reward_log(out: Path) -> list[dict]:
    return [h for h in json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))["log_history"]
            if "reward" in h]


def assert_reward_rises(out: Path, steps: int) -> tuple[float, float]:
    rewards = [h["reward"] for h in reward_log(out)]
    assert len(rewards) == steps, rewards
    early, late = sum(rewards[:3]) / 3, sum(rewards[-3:]) / 3
    assert late > early + 0.05, rewards
    return early, late


@pytest.fixture()
def toy_prompts(tmp_path) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"第{i}号案件：请作出判决。"}, ensure_ascii=False) + "\n"
                            for i in range(32)),
                    encoding="utf-8")
    return path


@pytest.fixture()
def cases(tmp_path) -> Path:
    return write_lawshift(tmp_path, {"term_up": 4}) / "term_up" / "original.json"


# --------------------------------------------------------------------------- prompt rows
def test_prompt_rows_from_every_format(tmp_path, cases):
    from lawbench.recipes.args import RecipeArguments
    from lawbench.recipes.rl import load_prompt_rows, rows_dataset
    from lawbench.tasks.lawshift.data import system_prompt

    term = tmp_path / "3-4.json"
    term.write_text(json.dumps([{"instruction": "预测刑期。", "question": "事实:某某盗窃手机一部。",
                                 "answer": "刑期:4个月"}],
                               ensure_ascii=False), encoding="utf-8")
    choice = tmp_path / "mc.jsonl"
    choice.write_text(json.dumps({"question": "我国的根本大法是？", "A": "刑法", "B": "民法典", "C": "宪法",
                                  "D": "行政法", "answer": "C"}, ensure_ascii=False) + "\n", encoding="utf-8")
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"prompt": "说一个数字", "target": 7}, ensure_ascii=False) + "\n", encoding="utf-8")
    rows, described = load_prompt_rows(RecipeArguments(dataset=[str(cases), str(term), str(choice), str(prompts)]))
    assert [d["format"] for d in described] == ["lawshift", "lawbench", "choice", "prompt"]
    assert [r.get("task") for r in rows] == ["judgment"] * 4 + ["term", "choice", None]
    lawshift_row = rows[0]
    assert (lawshift_row["charge"], lawshift_row["prison_time"]) == ("容留他人吸毒", 7)
    assert lawshift_row["prompt"][0] == {"role": "system", "content": system_prompt()}  # the evaluation prompt
    assert "【案件事实】" in lawshift_row["prompt"][1]["content"]
    assert (rows[4]["prison_time"], rows[4]["charge"]) == (4, None)
    assert rows[5]["answer"] == "C" and rows[5]["prompt"][0]["content"].endswith("C. 宪法\nD. 行政法\n答案：")
    assert rows[6] == {"prompt": [{"role": "user", "content": "说一个数字"}], "target": 7}
    dataset = rows_dataset(rows)
    assert len(dataset) == 7 and dataset[6]["target"] == 7 and dataset[0]["target"] is None


def test_rewards_that_apply_to_no_row_stop_before_training(tiny_model, cases, tmp_path):
    with pytest.raises(LawbenchError, match="no reward in --reward_funcs choice applies to row 0"):
        runner.main("grpo", ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(tmp_path / "g"),
                             "--reward_funcs", "choice", *QUIET])
    with pytest.raises(LawbenchError, match="unknown reward 'speed'"):
        runner.parse("ppo", ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(tmp_path / "p"),
                             "--reward_funcs", "speed"])


def test_grpo_use_vllm_without_vllm_is_an_actionable_error(tiny_model, cases, tmp_path):
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here")
    ctx = runner.parse("grpo", ["--model", str(tiny_model), "--dataset", str(cases),
                                "--output-dir", str(tmp_path / "v"),
                                "--use_vllm", "--vllm_mode", "server", "--vllm_server_host", "10.0.0.2"])
    assert (ctx.training.vllm_mode, ctx.training.vllm_server_host) == ("server", "10.0.0.2")  # TRL's own flags
    with pytest.raises(LawbenchError, match="pip install 'lawbench\\[vllm\\]'"):
        runner.recipe_module("grpo").train(ctx)


# --------------------------------------------------------------------------- toy tasks: the reward rises
def test_grpo_raises_a_toy_reward(tiny_model, toy_prompts, tmp_path):
    out = tmp_path / "grpo"
    runner.main("grpo", ["--model", str(tiny_model), "--dataset", str(toy_prompts), "--output-dir", str(out),
                         "--reward_funcs", "tests.support.rewards.digit_share", "--num_generations", "8",
                         "--per_device_train_batch_size", "16", "--max_completion_length", "8", "--max_steps", "12",
                         "--learning_rate", "3e-2", "--lr_scheduler_type", "constant", "--seed", "0", *QUIET])
    assert_reward_rises(out, 12)
    assert all("rewards/digit_share/mean" in h for h in reward_log(out))
    stage = json.loads((out / "lawbench_stage.json").read_text(encoding="utf-8"))
    assert stage["recipe"] == "grpo" and stage["rewards"]["reward_funcs"] == ["tests.support.rewards.digit_share"]


def test_ppo_raises_a_toy_reward(tiny_model, toy_prompts, tmp_path):
    out = tmp_path / "ppo"
    runner.main("ppo", ["--model", str(tiny_model), "--dataset", str(toy_prompts), "--output-dir", str(out),
                        "--reward_funcs", "tests.support.rewards.digit_share", "--per_device_train_batch_size", "4",
                        "--num_mini_batches", "4", "--num_ppo_epochs", "2", "--max_completion_length", "8",
                        "--max_steps", "12", "--learning_rate", "1e-2", "--lr_scheduler_type", "constant",
                        "--kl_coef", "0.01", "--seed", "0", *QUIET])
    assert_reward_rises(out, 12)
    log = reward_log(out)
    for key in ("kl", "entropy", "clip_fraction", "value_loss", "policy_loss", "learning_rate",
                "rewards/tests.support.rewards.digit_share"):
        assert all(key in h for h in log), key
    assert log[0]["kl"] == pytest.approx(0.0, abs=1e-4) and log[-1]["kl"] > 0.01  # drifts from the reference
    assert (out / "model.safetensors").is_file() and (out / "value_head.safetensors").is_file()


# --------------------------------------------------------------------------- wiring
@pytest.mark.parametrize("recipe", ["grpo", "ppo"])
def test_gold_columns_reach_the_reward_functions(tiny_model, cases, tmp_path, recipe):
    RECORDED.clear()
    sizes = (["--num_generations", "2", "--per_device_train_batch_size", "2", "--use_peft", "--lora_r", "4",
              "--lora_target_modules", "q_proj", "v_proj"] if recipe == "grpo"
             else ["--per_device_train_batch_size", "2"])
    runner.main(recipe, ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(tmp_path / recipe),
                         "--reward_funcs", "tests.support.rewards.record_kwargs", "format",
                         "--reward_weights", "1", "0.5",
                         "--max_completion_length", "4", "--max_steps", "1", *sizes, *QUIET])
    seen = RECORDED[0]
    assert seen["charge"][0] == "容留他人吸毒" and seen["prison_time"][0] == 7 and seen["task"][0] == "judgment"
    assert seen["completions"][0][0]["role"] == "assistant"  # conversational, as TRL passes chat prompts
    assert [m["role"] for m in seen["prompts"][0]] == ["system", "user"]
    assert len(reward_log(tmp_path / recipe)) == 1
    if recipe == "grpo":  # LoRA through TRL's ModelConfig: only the adapter is saved
        assert (tmp_path / recipe / "adapter_config.json").is_file()
        assert not (tmp_path / recipe / "model.safetensors").exists()


def test_ppo_rollout_matches_an_unpadded_forward(tiny_model, tmp_path):
    """Left-padded prompts and right-padded answers give each token the log-prob a plain forward gives."""
    from transformers import AutoModelForCausalLM

    from lawbench.recipes.ppo import Scorer, build_model, make_rollout
    from lawbench.recipes.rl import load_prompt_rows

    data = tmp_path / "p.jsonl"
    data.write_text('{"prompt": "短"}\n{"prompt": "一个长得多的问题，要求模型作出回答"}\n', encoding="utf-8")
    ctx = runner.parse("ppo", ["--model", str(tiny_model), "--dataset", str(data), "--output-dir", str(tmp_path / "o"),
                               "--reward_funcs", "tests.support.rewards.digit_share", "--max_completion_length", "6",
                               "--temperature", "0.7"])
    model, reference, tokenizer = build_model(ctx)
    rows, _ = load_prompt_rows(ctx.recipe)
    torch.manual_seed(0)
    rollout, stats = make_rollout(model, reference, tokenizer, rows, ctx.training, Scorer(ctx.training, rows, "cpu"),
                                  None, "cpu")
    plain = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    for row in range(2):
        ids = rollout.input_ids[row][rollout.attention_mask[row].bool()]
        answer_len = int(rollout.answer_mask[row].sum())
        with torch.no_grad():
            logits = plain(ids.unsqueeze(0)).logits[0, -answer_len - 1 : -1] / 0.7
        expected = torch.log_softmax(logits, -1).gather(-1, ids[-answer_len:].unsqueeze(-1)).squeeze(-1)
        torch.testing.assert_close(rollout.logprobs[row, :answer_len], expected, atol=1e-4, rtol=0)
    assert stats["kl"] == pytest.approx(0.0, abs=1e-5)  # the reference is a copy of the starting policy
    assert (rollout.advantages * (1 - rollout.answer_mask)).abs().sum() == 0


def test_ppo_lora_has_no_reference_copy_and_saves_an_adapter_that_evaluates(tiny_model, cases, tmp_path):
    from transformers import AutoModelForCausalLM

    from lawbench.recipes.ppo import build_model, reference_logprobs

    lora = ["--use_peft", "--lora_r", "4", "--lora_target_modules", "q_proj", "v_proj"]
    ctx = runner.parse("ppo", ["--model", str(tiny_model), "--dataset", str(cases),
                               "--output-dir", str(tmp_path / "x"), *lora])
    model, reference, _ = build_model(ctx)
    assert reference is None
    with torch.no_grad():  # give the adapter weight so that "adapter off" differs from "adapter on"
        for name, param in model.policy.named_parameters():
            if "lora_B" in name:
                param.normal_()
    model.train()  # LoRA's dropout is off too, so a rollout's log-probs are what the first update sees
    ids, mask = torch.tensor([[5, 6, 7, 8]]), torch.ones(1, 4, dtype=torch.long)
    with torch.no_grad():
        torch.testing.assert_close(model(ids, mask)[0], model(ids, mask)[0], atol=0, rtol=0)
    answer = torch.tensor([[7, 8]])
    with torch.no_grad():
        base = torch.log_softmax(AutoModelForCausalLM.from_pretrained(tiny_model)(ids).logits[0, 1:3], -1)
    torch.testing.assert_close(reference_logprobs(model, None, ids, mask, answer, 2, 1.0)[0],
                               base.gather(-1, answer[0].unsqueeze(-1)).squeeze(-1), atol=1e-5, rtol=0)

    out = tmp_path / "ppo-lora"
    runner.main("ppo", ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(out), *lora,
                        "--per_device_train_batch_size", "2", "--max_completion_length", "4", "--max_steps", "1",
                        *QUIET,
                        "--then-eval", "--tasks", "lawshift_term_up_original", "--data-dir", str(cases.parents[2]),
                        "--limit", "1", "--eval_gen_kwargs", "max_gen_toks=4"])
    assert (out / "adapter_config.json").is_file() and not (out / "model.safetensors").exists()
    stage = json.loads((out / "lawbench_stage.json").read_text(encoding="utf-8"))
    assert stage["rewards"]["reward_funcs"] == ["format", "charge", "term"]
    run = next((out / "eval" / "ppo").glob("results_*.json"))
    assert json.loads(run.read_text(encoding="utf-8"))["lawbench"]["stage"] == "ppo"


# --------------------------------------------------------------------------- reward models
@pytest.fixture(scope="module")
def reward_models(tiny_model, tmp_path_factory):
    """A full sequence-classification reward model and a LoRA one (adapter + score head) on the tiny base."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    root = tmp_path_factory.mktemp("rm")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    torch.manual_seed(0)
    full = AutoModelForSequenceClassification.from_pretrained(tiny_model, num_labels=1)
    full.config.pad_token_id = tokenizer.pad_token_id
    full.save_pretrained(root / "full")
    tokenizer.save_pretrained(root / "full")
    lora = get_peft_model(AutoModelForSequenceClassification.from_pretrained(tiny_model, num_labels=1),
                          LoraConfig(task_type="SEQ_CLS", r=4, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():
        for name, param in lora.named_parameters():
            if "lora_B" in name or "score" in name:
                param.normal_()
    lora.config.pad_token_id = tokenizer.pad_token_id
    lora.save_pretrained(root / "lora")
    return root / "full", root / "lora", lora.eval(), tokenizer


def test_lora_reward_model_is_merged_and_scores_like_the_adapter(reward_models):
    from lawbench.recipes.rl import load_reward_model, reward_model_texts

    _, lora_dir, lora, _ = reward_models
    model, rm_tokenizer = load_reward_model(str(lora_dir))
    assert not hasattr(model, "peft_config")  # merged into a plain model
    texts = reward_model_texts(rm_tokenizer, [[{"role": "user", "content": "问"}]] * 2, ["答一", "回答二二"])
    assert texts[0].endswith("<|im_start|>assistant\n答一<|im_end|>\n")
    encoded = rm_tokenizer(texts, return_tensors="pt", padding=True, padding_side="right", add_special_tokens=False)
    with torch.no_grad():
        torch.testing.assert_close(model(**encoded).logits, lora(**encoded).logits, atol=1e-4, rtol=0)


@pytest.mark.parametrize("recipe", ["grpo", "ppo"])
def test_reward_model_drives_the_reward(tiny_model, cases, tmp_path, reward_models, recipe):
    full, *_ = reward_models
    sizes = ["--num_generations", "2"] if recipe == "grpo" else []
    out = tmp_path / recipe
    runner.main(recipe, ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(out),
                         "--reward_model", str(full), "--per_device_train_batch_size", "2", *sizes,
                         "--max_completion_length", "4", "--max_steps", "1", "--logging_steps", "1",
                         "--report_to", "tensorboard", "--save_strategy", "no", "--disable_tqdm", "true"])
    assert list((out / "runs").rglob("events.out.tfevents*"))  # TensorBoard gets the same logs
    entry = reward_log(out)[0]
    model_key = "rewards/full/mean" if recipe == "grpo" else "rewards/reward_model"
    assert entry[model_key] != 0.0 and entry["reward"] == pytest.approx(entry[model_key])
    stage = json.loads((out / "lawbench_stage.json").read_text(encoding="utf-8"))
    assert stage["rewards"] == {"reward_funcs": ["reward_model"], "reward_weights": [1.0], "reward_model": str(full)}
