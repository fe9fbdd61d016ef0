"""Model resolution and backend argument mapping (no GPU needed)."""

from __future__ import annotations

import json

import pytest

from lawbench.errors import ModelError
from lawbench.models.load import api_base_url, api_model_args, pick_device_dtype, vllm_model_args
from lawbench.models.resolve import ModelOptions, ResolvedModel, resolve_model


def make_checkpoint(folder):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def make_adapter(folder, base):
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": base}), encoding="utf-8")
    return folder


def test_checkpoint_and_hub_id(tmp_path):
    ckpt = make_checkpoint(tmp_path / "ckpt")
    assert resolve_model(ModelOptions(str(ckpt))) == ResolvedModel("checkpoint", str(ckpt.resolve()))
    assert resolve_model(ModelOptions("Qwen/Qwen2.5-0.5B-Instruct")).kind == "hub"


def test_adapter_base_from_config_relative_or_flag(tmp_path):
    base = make_checkpoint(tmp_path / "base")
    adapter = make_adapter(tmp_path / "adapter", str(base))
    resolved = resolve_model(ModelOptions(str(adapter)))
    assert (resolved.kind, resolved.path, resolved.adapter) == ("adapter", str(base.resolve()), str(adapter.resolve()))
    relative = make_adapter(tmp_path / "adapter2", "../base")  # recorded relative to the adapter
    assert resolve_model(ModelOptions(str(relative))).path == str(base.resolve())
    hub_based = make_adapter(tmp_path / "adapter3", "Qwen/Qwen2.5-7B")
    assert resolve_model(ModelOptions(str(hub_based))).path == "Qwen/Qwen2.5-7B"
    override = resolve_model(ModelOptions(str(hub_based), base_model=str(base)))
    assert override.path == str(base.resolve())


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: str(p / "missing"), "model not found"),
        (lambda p: str(make_adapter(p / "a", "/nowhere/base")), "base model '/nowhere/base' of adapter"),
        (lambda p: str(make_adapter(p / "a", "")), "names no base model"),
        (lambda p: (p / "empty").mkdir() or str(p / "empty"), "holds neither config.json"),
        (lambda p: (p / "f.bin").write_text("x") and str(p / "f.bin"), "is a file"),
    ],
)
def test_resolution_errors_are_one_line(tmp_path, setup, message):
    with pytest.raises(ModelError) as err:
        resolve_model(ModelOptions(setup(tmp_path)))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_backend_flag_errors(tmp_path):
    with pytest.raises(ModelError, match="needs --base-url"):
        resolve_model(ModelOptions("gpt-x", backend="api"))
    with pytest.raises(ModelError, match="only used with --backend api"):
        resolve_model(ModelOptions(str(make_checkpoint(tmp_path / "c")), base_url="http://x"))
    with pytest.raises(ModelError, match="for PEFT adapters"):
        resolve_model(ModelOptions(str(tmp_path / "c"), base_model="x/y"))


def test_vllm_arguments(tmp_path):
    (tmp_path / "adapter_config.json").write_text('{"peft_type": "LORA", "r": 24}', encoding="utf-8")
    opts = ModelOptions("adapter", backend="vllm", load_in_4bit=True, max_length=4096, trust_remote_code=True)
    args = vllm_model_args(opts, ResolvedModel("adapter", "Qwen/Qwen2.5-7B", adapter=str(tmp_path)), "bfloat16", 8)
    assert args == {"pretrained": "Qwen/Qwen2.5-7B", "dtype": "bfloat16", "trust_remote_code": True,
                    "batch_size": "auto", "max_model_len": 4096, "lora_local_path": str(tmp_path),
                    "max_lora_rank": 32,  # r=24 does not fit lm-eval's default 16
                    "quantization": "bitsandbytes", "truncation_side": "middle"}
    plain = vllm_model_args(ModelOptions("m", backend="vllm", batch_size=16), ResolvedModel("hub", "m"), "float16", 16)
    assert plain == {"pretrained": "m", "dtype": "float16", "trust_remote_code": False, "batch_size": 16,
                     "truncation_side": "middle"}


def test_api_arguments():
    assert api_base_url("http://localhost:8000/v1/") == "http://localhost:8000/v1/chat/completions"
    assert api_base_url("http://h/v1/chat/completions") == "http://h/v1/chat/completions"
    args = api_model_args(ModelOptions("qwen", backend="api", base_url="http://h:1/v1", num_concurrent=4))
    assert args["model"] == "qwen" and args["num_concurrent"] == 4
    assert args["tokenized_requests"] is False and args["tokenizer_backend"] is None


def test_cpu_defaults_and_cuda_only_paths(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device_dtype(ModelOptions("m")) == ("cpu", "float32")
    assert pick_device_dtype(ModelOptions("m", dtype="bfloat16")) == ("cpu", "bfloat16")
    with pytest.raises(ModelError, match="no CUDA GPU"):
        pick_device_dtype(ModelOptions("m", device="cuda"))
    from lawbench.models.load import check_4bit_available

    with pytest.raises(ModelError, match="--load-in-4bit needs a CUDA GPU"):
        check_4bit_available()


def test_vllm_missing_gives_install_hint(tmp_path, monkeypatch):
    import importlib.util

    from lawbench.models.load import build_lm

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    ckpt = make_checkpoint(tmp_path / "ckpt")
    opts = ModelOptions(str(ckpt), backend="vllm")
    with pytest.raises(ModelError, match=r"pip install 'lawbench\[vllm\]'"):
        build_lm(opts, resolve_model(opts))


def test_chat_template_without_system_role_keeps_instructions(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from lawbench.models.hflm import LawbenchHFLM, merge_system_into_user

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
        "{% endif %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}")
    lm = LawbenchHFLM(pretrained=AutoModelForCausalLM.from_pretrained(tiny_model), tokenizer=tokenizer,
                      backend="causal")
    chat = [{"role": "system", "content": "回答格式"}, {"role": "user", "content": "案件事实"}]
    assert lm.apply_chat_template(chat) == "<user>回答格式\n\n案件事实"
    assert merge_system_into_user([{"role": "system", "content": "s"}]) == [{"role": "user", "content": "s"}]


def test_prefix_cache_keeps_greedy_outputs(tiny_model):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from lawbench.models.hflm import PREFIX_MIN_TOKENS, LawbenchHFLM

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    shared = "你是一名熟悉中国刑法的法律判决助手。请根据案件事实判断罪名和刑期。" * 4
    prompts = [shared + tail for tail in ("被告人甲盗窃财物。", "被告人乙容留他人吸毒。", "被告人丙醉酒驾驶。")]
    assert len(tokenizer(shared)["input_ids"]) > PREFIX_MIN_TOKENS

    def generate(prefix_cache: bool):
        lm = LawbenchHFLM(pretrained=model, tokenizer=tokenizer, backend="causal", batch_size=1,
                          prefix_cache=prefix_cache)
        outputs = []
        for prompt in prompts:
            ids = torch.tensor([tokenizer(prompt)["input_ids"]])
            out = lm._model_generate(ids, max_length=ids.shape[1] + 12, stop=[], attention_mask=torch.ones_like(ids),
                                     do_sample=False)
            outputs.append(out[0, ids.shape[1]:].tolist())
        return outputs, lm.prefix_hits

    cached, hits = generate(True)
    plain, no_hits = generate(False)
    assert cached == plain and hits == 2 and no_hits == 0  # the first prompt has nothing to share with yet
