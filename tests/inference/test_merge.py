"""``lawbench model merge``: a merged LoRA answers exactly as base + adapter; what cannot merge says so in one line."""

from __future__ import annotations

import json

import pytest
import torch

from lawbench.cli import main
from tests.support.inference import random_lora_adapter

PROMPTS = ["<|im_start|>user\n盗窃罪如何量刑？<|im_end|>\n<|im_start|>assistant\n", "被告人张某于2023年"]


@pytest.fixture(scope="module")
def adapter(tiny_model, tmp_path_factory):
    return random_lora_adapter(tiny_model, tmp_path_factory.mktemp("lora") / "adapter")


def _logits_and_greedy(model, tokenizer):
    tokenizer.padding_side = "left"
    inputs = tokenizer(PROMPTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model(**inputs).logits
        tokens = model.generate(**inputs, max_new_tokens=8, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    return logits, tokens


def test_merged_checkpoint_answers_as_base_plus_adapter(tiny_model, adapter, tmp_path, capsys):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "merged"
    assert main(["model", "merge", "--adapter", str(adapter), "--out", str(out)]) == 0
    assert f"merged checkpoint written to {out}" in capsys.readouterr().out
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer.chat_template  # the chat template travels with the checkpoint
    base = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    base_logits, _ = _logits_and_greedy(base, tokenizer)
    unmerged = PeftModel.from_pretrained(base, adapter).eval()
    expected_logits, expected_tokens = _logits_and_greedy(unmerged, tokenizer)
    merged_logits, merged_tokens = _logits_and_greedy(AutoModelForCausalLM.from_pretrained(out).eval(), tokenizer)
    assert (expected_logits - base_logits).abs().max() > 1e-3  # the adapter does change the model
    assert (merged_logits - expected_logits).abs().max() < 1e-5
    assert torch.equal(merged_tokens, expected_tokens)
    stage = json.loads((out / "lawbench_stage.json").read_text(encoding="utf-8"))
    assert stage["merged"]["adapter"] == str(adapter.resolve()) and stage["merged"]["base"] == str(tiny_model)
    assert not (out / "adapter_config.json").exists() and (out / "config.json").is_file()


def _one_line_error(capsys, argv) -> str:
    capsys.readouterr()  # drop what the test's own model loading printed
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lawbench: error: "), err
    return err[0]


def test_bad_merges_are_one_line_and_write_nothing(tiny_model, adapter, tmp_path, capsys):
    import shutil

    from peft import PrefixTuningConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    prefix = tmp_path / "prefix"
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model),
                   PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=4)).save_pretrained(prefix)
    out = tmp_path / "out"
    assert "prefix_tuning: virtual tokens" in _one_line_error(
        capsys, ["model", "merge", "--adapter", str(prefix), "--out", str(out)])
    orphan = tmp_path / "orphan"
    shutil.copytree(adapter, orphan)
    config = json.loads((orphan / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = str(tmp_path / "gone")
    (orphan / "adapter_config.json").write_text(json.dumps(config), encoding="utf-8")
    assert "base model" in _one_line_error(capsys, ["model", "merge", "--adapter", str(orphan), "--out", str(out)])
    assert "no adapter_config.json (a full checkpoint" in _one_line_error(
        capsys, ["model", "merge", "--adapter", str(tiny_model), "--out", str(out)])
    assert not out.exists() and not list(tmp_path.glob(".out.*"))
    (out / "x").parent.mkdir()
    (out / "x").write_text("keep", encoding="utf-8")
    assert "not an empty folder" in _one_line_error(
        capsys, ["model", "merge", "--adapter", str(adapter), "--out", str(out)])
