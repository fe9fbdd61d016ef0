"""How options map onto the engines' own arguments (vLLM needs a GPU, so its mapping is checked here)."""

from __future__ import annotations

import json

import pytest

from lawbench.errors import LawbenchError, ModelError
from lawbench.inference.engines import GenSettings, parse_gen_kwargs, require_vllm, vllm_engine_args
from lawbench.inference.serve import ServeConfig, check_port, transformers_command, vllm_command
from lawbench.models.resolve import ModelOptions, ResolvedModel


@pytest.fixture()
def lora(tmp_path):
    adapter = tmp_path / "sft-lora"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 24}), encoding="utf-8")
    (adapter / "tokenizer.json").write_text("{}", encoding="utf-8")
    return adapter


def test_vllm_engine_and_serve_arguments_for_an_adapter(lora):
    options = ModelOptions("x", max_length=4096, trust_remote_code=True, revision="v1")
    resolved = ResolvedModel("adapter", "Qwen/Qwen2.5-7B-Instruct", adapter=str(lora))
    assert vllm_engine_args(options, resolved, "bfloat16") == {
        "model": "Qwen/Qwen2.5-7B-Instruct", "dtype": "bfloat16", "trust_remote_code": True, "revision": "v1",
        "max_model_len": 4096, "enable_lora": True, "max_lora_rank": 32, "tokenizer": str(lora)}
    cmd, name = vllm_command(resolved, ServeConfig(model=options, port=8123), "bfloat16")
    assert name == "sft-lora"  # clients ask for the adapter by its folder name
    assert cmd[1:6] == ["serve", "Qwen/Qwen2.5-7B-Instruct", "--host", "127.0.0.1", "--port"]
    joined = " ".join(cmd)
    assert f"--lora-modules sft-lora={lora} --enable-lora" in joined and "--max-lora-rank 32" in joined
    assert "--max-model-len 4096" in joined and "--trust-remote-code" in joined and "--tokenizer" in joined


def test_vllm_serve_arguments_for_a_checkpoint():
    options = ModelOptions("/ckpt", load_in_4bit=True)
    cmd, name = vllm_command(ResolvedModel("checkpoint", "/ckpt"), ServeConfig(model=options, served_model_name="law"),
                             "float16")
    assert name == "law" and cmd[cmd.index("--served-model-name") + 1] == "law"
    assert cmd[cmd.index("--quantization") + 1] == "bitsandbytes" and "--enable-lora" not in cmd


def test_transformers_serve_arguments():
    cmd = transformers_command("/m", ServeConfig(model=ModelOptions("/m")), "cpu", "float32")
    assert cmd[1:] == ["-m", "transformers.cli.transformers", "serve", "/m", "--host", "127.0.0.1", "--port", "8000",
                       "--device", "cpu", "--dtype", "float32"]
    on_gpu = transformers_command("/m", ServeConfig(model=ModelOptions("/m", load_in_4bit=True)), "cuda", "bfloat16")
    assert "--continuous-batching" in on_gpu and on_gpu[-2:] == ["--quantization", "bnb-4bit"]


def test_generation_settings():
    greedy = parse_gen_kwargs("max_gen_toks=32")
    assert greedy.hf_kwargs() == {"max_new_tokens": 32, "do_sample": False}
    assert greedy.vllm_kwargs() == {"max_tokens": 32, "temperature": 0.0, "top_p": 1.0, "top_k": -1}
    sampled = GenSettings(max_new_tokens=8, temperature=0.7, top_p=0.9, seed=3)
    assert sampled.openai_kwargs() == {"max_tokens": 8, "temperature": 0.7, "top_p": 0.9, "seed": 3}
    with pytest.raises(LawbenchError, match="'until=x' is not one of"):
        parse_gen_kwargs("until=x")


def test_vllm_and_busy_port_errors_are_one_line():
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        with pytest.raises(ModelError, match=r"needs vLLM \(Linux \+ CUDA\): pip install 'lawbench\[vllm\]'"):
            require_vllm()
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ModelError, match="cannot listen on 127.0.0.1:.*pass a free port with --port"):
            check_port("127.0.0.1", taken.getsockname()[1])
