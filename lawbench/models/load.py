"""Build the lm-eval model object of each backend from resolved options.

* ``hf``: lawbench loads the model and tokenizer with transformers (PEFT adapters merged into the
  base unless it is 4-bit quantised; bitsandbytes NF4 with ``--load-in-4bit``) and hands them to
  lm-eval's ``HFLM`` (see :mod:`lawbench.models.hflm` for the one behaviour lawbench changes). One code path serves tiny local models and real checkpoints.
* ``vllm``: lm-eval's ``vllm`` model (optional extra ``lawbench[vllm]``, CUDA).
* ``api``: lm-eval's ``local-chat-completions`` against an OpenAI-compatible server; the API key
  is read from ``$OPENAI_API_KEY``.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lawbench.errors import ModelError, first_line
from lawbench.models.resolve import ModelOptions, ResolvedModel

log = logging.getLogger(__name__)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")


@dataclass
class LoadedModel:
    lm: Any  # an lm_eval.api.model.LM
    chat_template: str | None  # the template that will be applied, or None
    device: str
    dtype: str
    load_seconds: float
    info: dict = field(default_factory=dict)


def pick_device_dtype(options: ModelOptions) -> tuple[str, str]:
    """CUDA + bf16 when present (fp16 on GPUs without bf16), else CPU + float32; flags override."""
    import torch

    cuda = torch.cuda.is_available()
    device = options.device or ("cuda" if cuda else "cpu")
    if device.startswith("cuda") and not cuda:
        raise ModelError(f"--device {device} requested but no CUDA GPU is visible; use --device cpu")
    if options.dtype != "auto":
        return device, options.dtype
    if device.startswith("cuda"):
        return device, "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return device, "float32"


def check_4bit_available() -> None:
    """bitsandbytes 4-bit needs a CUDA GPU and the ``bnb`` extra; say so instead of failing deep inside."""
    import torch

    if not torch.cuda.is_available():
        raise ModelError("--load-in-4bit needs a CUDA GPU (bitsandbytes NF4) and none is visible; drop the flag to evaluate unquantised")
    if importlib.util.find_spec("bitsandbytes") is None:
        raise ModelError("--load-in-4bit needs bitsandbytes: pip install 'lawbench[bnb]'")


def quantization_config(dtype: str):
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=getattr(torch, dtype),
    )


def tune_cpu_threads(model) -> int:
    """Apply ``$LAWBENCH_CPU_THREADS`` if set; otherwise keep torch's default (one thread per core).

    An earlier version pinned small models to one thread. That only paid off while other jobs
    competed for the two cores; on an idle machine two threads are faster for every shape we
    measured on the tiny model (train step 79 vs 143 ms, batched generation 94 vs 147 ms), so the
    default stays torch's and the variable is there for crowded machines.
    """
    import os

    import torch

    wanted = os.environ.get("LAWBENCH_CPU_THREADS")
    if wanted:
        try:
            threads = int(wanted)
        except ValueError:
            raise ValueError(f"LAWBENCH_CPU_THREADS must be a whole number, got {wanted!r}") from None
        if threads < 1:
            raise ValueError(f"LAWBENCH_CPU_THREADS must be at least 1, got {threads}")
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def default_batch_size(options: ModelOptions, device: str) -> int | str:
    if options.batch_size is not None:
        return options.batch_size
    return 8 if device.startswith("cuda") else 1


def _tokenizer_source(resolved: ResolvedModel) -> str:
    """An adapter folder that saved its tokenizer (e.g. with added tokens) wins over the base's."""
    if resolved.adapter and any((Path(resolved.adapter) / name).is_file() for name in TOKENIZER_FILES):
        return resolved.adapter
    return resolved.path


def load_hf_model(options: ModelOptions, resolved: ResolvedModel, device: str, dtype: str):
    """Model and tokenizer with transformers (+ PEFT); errors become one-line :class:`ModelError`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"trust_remote_code": options.trust_remote_code}
    if options.revision:
        kwargs["revision"] = options.revision
    if options.load_in_4bit:
        check_4bit_available()
        kwargs["quantization_config"] = quantization_config(dtype)
        kwargs["device_map"] = {"": torch.device(device).index or 0}
    else:
        kwargs["dtype"] = getattr(torch, dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(_tokenizer_source(resolved), trust_remote_code=options.trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(resolved.path, **kwargs)
    except (OSError, ValueError, KeyError) as err:
        raise ModelError(f"cannot load model '{resolved.path}': {first_line(err)}") from None
    if resolved.adapter:
        from peft import PeftModel

        if model.get_input_embeddings().weight.shape[0] != len(tokenizer):
            model.resize_token_embeddings(len(tokenizer))  # adapters trained with added tokens
        try:
            model = PeftModel.from_pretrained(model, resolved.adapter)
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise ModelError(f"cannot load adapter '{resolved.adapter}': {first_line(err)}") from None
        if not options.load_in_4bit:
            # Merged LoRA weights generate at the base model's speed; 4-bit bases cannot be merged exactly.
            model = model.merge_and_unload()
    if not options.load_in_4bit:
        model.to(device)
    model.eval()
    tune_cpu_threads(model)
    return model, tokenizer


def vllm_model_args(options: ModelOptions, resolved: ResolvedModel, dtype: str, batch_size: int | str) -> dict:
    """lm-eval ``vllm`` model arguments for these options (unit-tested: vLLM needs a GPU)."""
    args: dict[str, Any] = {
        "pretrained": resolved.path,
        "dtype": dtype,
        "trust_remote_code": options.trust_remote_code,
        "batch_size": batch_size if options.batch_size is not None else "auto",
    }
    if options.revision:
        args["revision"] = options.revision
    if options.max_length:
        args["max_model_len"] = options.max_length
    if resolved.adapter:
        args["lora_local_path"] = resolved.adapter
        if _tokenizer_source(resolved) == resolved.adapter:
            args["tokenizer"] = resolved.adapter
    if options.load_in_4bit:
        args["quantization"] = "bitsandbytes"
    args["truncation_side"] = "middle"  # as the hf path: a too-long prompt keeps its instructions
    return args


def api_base_url(base_url: str) -> str:
    """``http://host:8000/v1`` → ``http://host:8000/v1/chat/completions`` (a full URL is kept)."""
    url = base_url.rstrip("/")
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


def api_model_args(options: ModelOptions) -> dict:
    """lm-eval ``local-chat-completions`` arguments: string requests, no local tokenizer."""
    return {
        "model": options.model,
        "base_url": api_base_url(options.base_url or ""),
        "num_concurrent": options.num_concurrent,
        "max_retries": 3,
        "tokenized_requests": False,
        "tokenizer_backend": None,
        "max_length": options.max_length or 32768,
    }


def _require_vllm() -> None:
    if importlib.util.find_spec("vllm") is None:
        raise ModelError("--backend vllm needs vLLM (Linux + CUDA): pip install 'lawbench[vllm]'")


def build_lm(options: ModelOptions, resolved: ResolvedModel) -> LoadedModel:
    """Load the model for ``options.backend`` and wrap it as an lm-eval LM."""
    from lm_eval.api.registry import get_model

    start = time.perf_counter()
    if resolved.kind == "api":
        lm = get_model("local-chat-completions")(**api_model_args(options))
        return LoadedModel(lm, "server-side", "remote", "remote", time.perf_counter() - start,
                           {"base_url": api_base_url(options.base_url or "")})
    device, dtype = pick_device_dtype(options)
    batch_size = default_batch_size(options, device)
    if options.backend == "vllm":
        _require_vllm()
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(_tokenizer_source(resolved), trust_remote_code=options.trust_remote_code)
        lm = get_model("vllm")(**vllm_model_args(options, resolved, dtype, batch_size))
    else:
        if options.load_in_4bit:
            check_4bit_available()
        model, tokenizer = load_hf_model(options, resolved, device, dtype)
        from lawbench.models.hflm import LawbenchHFLM

        lm = LawbenchHFLM(pretrained=model, tokenizer=tokenizer, backend="causal", batch_size=batch_size,
                          max_length=options.max_length, trust_remote_code=options.trust_remote_code,
                          prefix_cache=options.prefix_cache)
    template = getattr(tokenizer, "chat_template", None) if options.chat_template else None
    return LoadedModel(lm, template or None, device, dtype, time.perf_counter() - start,
                       {"batch_size": batch_size, "load_in_4bit": options.load_in_4bit})
