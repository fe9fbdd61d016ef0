"""`lawbench model init`: a tiny model that loads offline and keeps the answer tokens."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def test_tiny_model_loads_offline_and_generates(tiny_model):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    assert model.config.model_type == "qwen2"
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "案件事实"}], tokenize=False,
                                           add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n")
    ids = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > ids["input_ids"].shape[1]
    # The answer tags are ordinary tokens: decoding with skip_special_tokens keeps them.
    text = "<think>x</think><answer>盗窃 | 7</answer>"
    assert tokenizer.decode(tokenizer(text)["input_ids"], skip_special_tokens=True) == text
    assert tokenizer.convert_tokens_to_ids("<answer>") != tokenizer.unk_token_id


def test_cli_default_size_and_custom_corpus(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["被告人犯盗窃罪，判处有期徒刑六个月。"] * 50), encoding="utf-8")
    out = tmp_path / "m"
    done = subprocess.run([sys.executable, "-m", "lawbench", "model", "init", "--out", str(out),
                           "--corpus", str(corpus), "--vocab-size", "600"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    info = json.loads((out / "lawbench_tiny.json").read_text(encoding="utf-8"))
    assert 1_000_000 < info["parameters"] < 10_000_000  # "a few million"
    again = subprocess.run([sys.executable, "-m", "lawbench", "model", "init", "--out", str(out)],
                           capture_output=True, text=True)
    assert again.returncode == 2 and "not empty" in again.stderr


def test_config_validation():
    from lawbench.errors import LawbenchError
    from lawbench.tiny.model import TinyModelConfig

    with pytest.raises(LawbenchError):
        TinyModelConfig(hidden_size=100, num_attention_heads=3)
