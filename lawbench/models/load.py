"""Load models: the one place that picks device and dtype, checks 4-bit support, resolves the tokenizer of an
adapter and calls transformers, for evaluation, the training recipes, chat, generate and serve alike.

Loading API (every caller goes through these):

* :func:`default_device` and :func:`choose_dtype`: where to run and in which precision (``auto`` rules below);
* :func:`check_4bit_available`: bitsandbytes 4-bit needs CUDA and the ``bnb`` extra (one-line errors);
* :func:`resolve_local_model`: ``--model`` as a local folder, adapter or hub id (not an API model name);
* :func:`tokenizer_source`: an adapter that saved its own tokenizer wins over its base's;
* :func:`load_pretrained`: tokenizer + causal LM (or one-score sequence classifier), errors as one line;
* :func:`merge_adapter`: a LoRA adapter merged into a loaded model, whatever its task type;
* :func:`adapter_peft_type` / :func:`is_prompt_learning`: prefix / P-Tuning / prompt-tuning adapters add virtual
  tokens instead of weight deltas, so they stay adapters (never merged) in eval, chat and generate.

Evaluation backends, built on the above by :func:`build_lm`:

* ``hf``: lawbench loads the model and tokenizer with transformers (PEFT adapters merged into the
  base unless it is 4-bit quantised; bitsandbytes NF4 with ``--load-in-4bit``) and hands them to
  lm-eval's ``HFLM`` (see :mod:`lawbench.models.hflm` for the one behaviour lawbench changes). One code
  path serves tiny local models and real checkpoints.
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
from lawbench.models.resolve import ModelOptions, ResolvedModel, resolve_model

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


# --------------------------------------------------------------------------- device, dtype, 4-bit
def default_device() -> str:
    """``cuda`` when a CUDA GPU is visible, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def choose_dtype(requested: str | None, device: str, *, training: bool = False) -> str:
    """The dtype name to load weights in: ``requested``, unless it is ``auto`` (or ``None``).

    ``auto`` is bfloat16 on a CUDA GPU that supports it and float32 on a CPU. On an older GPU it is
    float16 for inference but float32 for training: pure fp16 weights lose small updates (no master copy).

    >>> choose_dtype("float16", "cpu"), choose_dtype("auto", "cpu"), choose_dtype(None, "cpu", training=True)
    ('float16', 'float32', 'float32')
    """
    if requested not in (None, "auto"):
        return requested
    if device.startswith("cuda"):
        import torch

        if torch.cuda.is_bf16_supported():
            return "bfloat16"
        return "float32" if training else "float16"
    return "float32"


def pick_device_dtype(options: ModelOptions) -> tuple[str, str]:
    """Evaluation's device and dtype: CUDA + bf16 when present (fp16 on GPUs without bf16), else CPU + float32.

    ``--device`` and ``--dtype`` override.
    """
    import torch

    device = options.device or default_device()
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"--device {device} requested but no CUDA GPU is visible; use --device cpu")
    return device, choose_dtype(options.dtype, device)


NO_GPU_FOR_4BIT = ("--load-in-4bit needs a CUDA GPU (bitsandbytes NF4) and none is visible; "
                   "drop the flag to evaluate unquantised")


def require_cuda(message: str) -> None:
    """Raise :class:`ModelError` with ``message`` unless a CUDA GPU is visible."""
    import torch

    if not torch.cuda.is_available():
        raise ModelError(message)


def check_4bit_available(flag: str = "--load-in-4bit", no_gpu: str = NO_GPU_FOR_4BIT) -> None:
    """bitsandbytes 4-bit needs a CUDA GPU and the ``bnb`` extra; say so instead of failing deep inside.

    ``flag`` names the option in the error (eval's ``--load-in-4bit``, the recipes' ``--load_in_4bit``) and
    ``no_gpu`` is the whole message when no GPU is visible.
    """
    require_cuda(no_gpu)
    if importlib.util.find_spec("bitsandbytes") is None:
        raise ModelError(f"{flag} needs bitsandbytes: pip install 'lawbench[bnb]'")


def quantization_config(dtype: str):
    """Evaluation's bitsandbytes setting: NF4 with double quantisation, computing in ``dtype``."""
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


# --------------------------------------------------------------------------- what to load
def resolve_local_model(model: str, not_local: str, trust_remote_code: bool = False) -> ResolvedModel:
    """``model`` (checkpoint folder, adapter folder or hub id) resolved for loading here.

    ``not_local`` is the error for an API model name, which has no weights to load.
    """
    resolved = resolve_model(ModelOptions(model, trust_remote_code=trust_remote_code))
    if resolved.kind == "api":
        raise ModelError(not_local)
    return resolved


def tokenizer_source(resolved: ResolvedModel) -> str:
    """An adapter folder that saved its tokenizer (e.g. with added tokens) wins over the base's.

    >>> tokenizer_source(ResolvedModel("hub", "Qwen/Qwen2.5-7B"))
    'Qwen/Qwen2.5-7B'
    """
    if resolved.adapter and any((Path(resolved.adapter) / name).is_file() for name in TOKENIZER_FILES):
        return resolved.adapter
    return resolved.path


def load_pretrained(resolved: ResolvedModel, *, dtype=None, trust_remote_code: bool = False,
                    revision: str | None = None, quantization=None, device: str | None = None,
                    sequence_classifier: bool = False, error_label: str | None = None):
    """Tokenizer and base model (any adapter is left to the caller) with transformers.

    ``dtype`` is a name (``"bfloat16"``) or a ``torch.dtype``, ``None`` to leave it to transformers.
    ``quantization`` is a transformers ``BitsAndBytesConfig``: quantised weights are placed while loading,
    all on ``device`` (default: the current CUDA device). ``sequence_classifier`` loads a one-score
    ``AutoModelForSequenceClassification`` (a reward model) instead of a causal LM. Errors become one line:
    ``cannot load <error_label>: ...`` (default label: ``model '<path>'``).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if revision:
        kwargs["revision"] = revision
    if dtype is not None:
        kwargs["dtype"] = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    if quantization is not None:
        index = (torch.device(device).index or 0) if device else torch.cuda.current_device()
        kwargs.update(quantization_config=quantization, device_map={"": index})
    if sequence_classifier:
        kwargs["num_labels"] = 1
    auto = AutoModelForSequenceClassification if sequence_classifier else AutoModelForCausalLM
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_source(resolved), trust_remote_code=trust_remote_code)
        model = auto.from_pretrained(resolved.path, **kwargs)
    except (OSError, ValueError, KeyError) as err:
        label = error_label or f"model '{resolved.path}'"
        raise ModelError(f"cannot load {label}: {first_line(err)}") from None
    return model, tokenizer


PROMPT_LEARNING_TYPES = ("PREFIX_TUNING", "P_TUNING", "PROMPT_TUNING", "MULTITASK_PROMPT_TUNING", "CPT")


def adapter_peft_type(adapter: str) -> str:
    """PEFT's name for the method of the adapter in folder ``adapter`` (``LORA``, ``PREFIX_TUNING`` ...)."""
    from lawbench.utils.io import read_json_strict

    config = read_json_strict(Path(adapter) / "adapter_config.json")
    return str(config.get("peft_type", "LORA")).upper() if isinstance(config, dict) else "LORA"


VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)  # the max_lora_rank values vLLM accepts


def vllm_max_lora_rank(adapter: str) -> int:
    """vLLM's ``max_lora_rank`` for the LoRA adapter in folder ``adapter``: the smallest allowed value >= its ``r``."""
    from lawbench.utils.io import read_json_strict

    config = read_json_strict(Path(adapter) / "adapter_config.json")
    rank = int((config.get("r") if isinstance(config, dict) else None) or 16)
    return next((r for r in VLLM_LORA_RANKS if r >= rank), rank)


def is_prompt_learning(adapter: str | None) -> bool:
    """Whether ``adapter`` is a prompt-learning adapter (virtual tokens: nothing to merge into the weights)."""
    return bool(adapter) and adapter_peft_type(adapter) in PROMPT_LEARNING_TYPES


def merge_adapter(model, adapter: str):
    """``model`` with the LoRA adapter in ``adapter`` merged into its weights.

    The adapter's task type is ignored, so a policy's (causal-LM) adapter also merges into the same
    base loaded as a sequence classifier (the reward model's starting point). Prompt-learning adapters
    have no weights to merge: one-line :class:`ModelError`.
    """
    from peft import PeftConfig, PeftModel

    if is_prompt_learning(adapter):
        raise ModelError(f"adapter {adapter} is {adapter_peft_type(adapter).lower()} (virtual tokens, no weight "
                         "deltas) and cannot be merged into its base; load it as an adapter with --model instead")

    config = PeftConfig.from_pretrained(adapter)
    config.task_type = None  # plain PeftModel: the causal-LM wrapper would demand generation methods
    return PeftModel.from_pretrained(model, adapter, config=config).merge_and_unload()


# --------------------------------------------------------------------------- evaluation backends
def load_hf_model(options: ModelOptions, resolved: ResolvedModel, device: str, dtype: str):
    """Model and tokenizer for evaluation, adapter merged in (kept apart on a 4-bit base), on ``device``.

    Errors become one-line :class:`ModelError`.
    """
    if options.load_in_4bit:
        check_4bit_available()
    model, tokenizer = load_pretrained(
        resolved, trust_remote_code=options.trust_remote_code, revision=options.revision, device=device,
        # bitsandbytes computes in ``dtype`` and stores 4-bit weights: no dtype to load them in
        dtype=None if options.load_in_4bit else dtype,
        quantization=quantization_config(dtype) if options.load_in_4bit else None)
    if resolved.adapter:
        from peft import PeftModel

        if model.get_input_embeddings().weight.shape[0] != len(tokenizer):
            model.resize_token_embeddings(len(tokenizer))  # adapters trained with added tokens
        try:
            model = PeftModel.from_pretrained(model, resolved.adapter)
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise ModelError(f"cannot load adapter '{resolved.adapter}': {first_line(err)}") from None
        if not options.load_in_4bit and not is_prompt_learning(resolved.adapter):
            # Merged LoRA weights generate at the base model's speed; 4-bit bases cannot be merged exactly, and
            # prompt-learning adapters (prefix, P-Tuning, prompt tuning) add virtual tokens: nothing to merge.
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
        args["max_lora_rank"] = vllm_max_lora_rank(resolved.adapter)
        if tokenizer_source(resolved) == resolved.adapter:
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

        tokenizer = AutoTokenizer.from_pretrained(tokenizer_source(resolved),
                                                  trust_remote_code=options.trust_remote_code)
        lm = get_model("vllm")(**vllm_model_args(options, resolved, dtype, batch_size))
    else:
        if options.load_in_4bit:
            check_4bit_available()
        model, tokenizer = load_hf_model(options, resolved, device, dtype)
        from lawbench.models.hflm import LawbenchHFLM

        lm = LawbenchHFLM(pretrained=model, tokenizer=tokenizer, backend="causal", batch_size=batch_size,
                          max_length=options.max_length, trust_remote_code=options.trust_remote_code,
                          # a prefix-tuning adapter owns the key/value cache: no shared-prompt cache on top
                          prefix_cache=options.prefix_cache and not is_prompt_learning(resolved.adapter))
    template = getattr(tokenizer, "chat_template", None) if options.chat_template else None
    return LoadedModel(lm, template or None, device, dtype, time.perf_counter() - start,
                       {"batch_size": batch_size, "load_in_4bit": options.load_in_4bit})
