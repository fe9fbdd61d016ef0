"""Prompt-learning adapters (``--peft_type prefix|ptuning|prompt``): trained by sft, loaded unmerged by eval,
chat and generate, refused where they cannot work."""

from __future__ import annotations

import json

import pytest
import torch

from lawbench.errors import LawbenchError
from lawbench.inference.engines import GenSettings, HFEngine
from lawbench.models.resolve import ModelOptions, resolve_model
from lawbench.recipes import runner

ANSWER = "<answer>盗窃 | 6</answer>"
FAST = ["--per_device_train_batch_size", "8", "--logging_steps", "1", "--report_to", "none", "--save_strategy", "no",
        "--max_length", "128", "--seed", "0"]


def _engine(path) -> HFEngine:
    options = ModelOptions(str(path))
    return HFEngine(options, resolve_model(options))


def _answer_nll(engine: HFEngine, question: str) -> tuple[float, torch.Tensor]:
    """Mean negative log-likelihood of ANSWER after the question's chat prompt, and the last prompt logits."""
    prompt = engine.render([{"role": "user", "content": question}])
    ids = engine.tokenizer(prompt + ANSWER, return_tensors="pt", add_special_tokens=False)["input_ids"]
    start = len(engine.tokenizer(prompt, add_special_tokens=False)["input_ids"])
    with torch.no_grad():
        logits = engine.model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0]
    logp = torch.log_softmax(logits[start - 1:-1], dim=-1).gather(1, ids[0, start:, None])
    return -logp.mean().item(), logits[start - 1]


def test_prefix_tuning_sft_changes_answers_and_reloads_identically(tiny_model, tmp_path):
    data, out = tmp_path / "qa.jsonl", tmp_path / "prefix"
    data.write_text("".join(json.dumps({"prompt": f"案件{i}：被告人盗窃财物，如何判决？", "response": ANSWER},
                                       ensure_ascii=False) + "\n" for i in range(8)), encoding="utf-8")
    assert runner.main("sft", ["--model", str(tiny_model), "--dataset", str(data), "--output-dir", str(out),
                               "--max_steps", "4", "--learning_rate", "0.3", *FAST,
                               "--peft_type", "prefix", "--num_virtual_tokens", "8"]) == 0
    config = json.loads((out / "adapter_config.json").read_text(encoding="utf-8"))
    assert (config["peft_type"], config["num_virtual_tokens"]) == ("PREFIX_TUNING", 8)
    stage = json.loads((out / "lawbench_stage.json").read_text(encoding="utf-8"))
    assert stage["config"]["peft"]["peft_type"] == "prefix"

    base, tuned, again = _engine(tiny_model), _engine(out), _engine(out)
    assert type(tuned.model).__name__ == "PeftModelForCausalLM"  # kept as an adapter: nothing to merge
    question = "案件9：被告人盗窃财物，如何判决？"
    base_nll, base_logits = _answer_nll(base, question)
    tuned_nll, tuned_logits = _answer_nll(tuned, question)
    again_nll, again_logits = _answer_nll(again, question)
    assert tuned_nll < base_nll - 0.1, (base_nll, tuned_nll)  # the trained answer became likelier
    assert (tuned_logits - base_logits).abs().max() > 1e-3
    assert torch.equal(tuned_logits, again_logits) and tuned_nll == again_nll  # reloads identically
    gen = GenSettings(max_new_tokens=6)
    assert tuned.generate([question], gen) == again.generate([question], gen)


def test_prompt_learning_configs_and_refusals():
    from peft import PromptEncoderConfig, PromptTuningConfig
    from trl import ModelConfig

    from lawbench.recipes.peft_args import PeftArguments, build_peft_config

    model_args = ModelConfig(use_peft=True)
    ptuning = build_peft_config("sft", PeftArguments("ptuning", num_virtual_tokens=4,
                                                     encoder_reparameterization_type="LSTM"), model_args, "m")
    assert isinstance(ptuning, PromptEncoderConfig) and ptuning.encoder_reparameterization_type == "LSTM"
    prompt = build_peft_config("pt", PeftArguments("prompt", prompt_tuning_init_text="依法判决"), model_args, "m")
    assert isinstance(prompt, PromptTuningConfig) and prompt.prompt_tuning_init == "TEXT"
    with pytest.raises(LawbenchError, match="--peft_type prefix is supported by pt, sft, rs-sft only"):
        build_peft_config("dpo", PeftArguments("prefix"), model_args, "m")
    with pytest.raises(LawbenchError, match="--num_virtual_tokens must be at least 1"):
        PeftArguments("prefix", num_virtual_tokens=0)
