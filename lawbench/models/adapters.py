"""Several LoRA adapters of one base, evaluated in one process: the base is loaded once.

``lawbench eval --model out/sft --model out/dpo --model out/kto`` (adapters of one base, the usual outcome of
a pipeline) would otherwise load the same base weights once per adapter, in a new process each time. Here:

* ``hf`` backend: the base is loaded once with every adapter attached (PEFT ``load_adapter``); before each
  evaluation the adapter in turn is merged into the base weights (``set_adapter`` + ``merge_adapter``), the
  same arithmetic as a lone evaluation's ``merge_and_unload``, so each model generates at the base's speed
  and answers exactly as it would alone. Afterwards the base weights are restored from a copy (unmerging
  would leave rounding residue behind for the next adapter).
* ``vllm`` backend: one engine with LoRA enabled; each evaluation sends its adapter as the
  ``LoRARequest`` (vLLM's multi-LoRA).

Adapters share a base when they name the same base model, use the same tokenizer (same file contents),
are LoRA (prompt-learning adapters add virtual tokens, nothing to merge) and the base is not 4-bit
(bitsandbytes weights cannot be merged exactly). Everything else is evaluated on its own, as before.

Example (CPU)::

    lawbench eval --model out/checkpoints/sft --model out/checkpoints/dpo --tasks lawshift --limit 5
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence

from lawbench.errors import ModelError, first_line
from lawbench.models.load import (
    LoadedModel,
    build_lm,
    is_prompt_learning,
    load_pretrained,
    pick_device_dtype,
    tokenizer_source,
    tune_cpu_threads,
    vllm_max_lora_rank,
)
from lawbench.models.resolve import ModelOptions, ResolvedModel

log = logging.getLogger(__name__)
SHARED_BACKENDS = ("hf", "vllm")


PROBE = [{"role": "system", "content": "You are a judge. 请依据法律作答。"},
         {"role": "user", "content": "被告人张三于2023年1月盗窃人民币5000元，Art. 264? <answer>"}]


def tokenizer_digest(resolved: ResolvedModel, trust_remote_code: bool = False) -> str:
    """What identifies the tokenizer an evaluation would load: its vocabulary, special tokens, chat template
    and the ids it gives a probe conversation.

    Recipes save a copy of the base's tokenizer beside every adapter; a copy written by another
    transformers version differs byte for byte but tokenises alike, and must not keep adapters apart.
    """
    from transformers import AutoTokenizer

    source = tokenizer_source(resolved)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, KeyError) as err:
        raise ModelError(f"cannot load the tokenizer of '{resolved.display_name}': {first_line(err)}") from None
    template = getattr(tokenizer, "chat_template", None)
    text = (tokenizer.apply_chat_template(PROBE, tokenize=False, add_generation_prompt=True)
            if isinstance(template, str) else "\n".join(m["content"] for m in PROBE))
    identity = [sorted(tokenizer.get_vocab().items()), sorted(map(str, tokenizer.all_special_tokens)), template,
                tokenizer.encode(text), tokenizer.padding_side, tokenizer.pad_token_id, tokenizer.eos_token_id]
    return hashlib.sha256(json.dumps(identity, ensure_ascii=False, default=str).encode()).hexdigest()


def share_key(options: ModelOptions, resolved: ResolvedModel) -> tuple | None:
    """Equal keys may share one loaded base; ``None``: this model loads on its own.

    ``options.model`` is left out on purpose (it names the adapter); every other loading option counts.
    """
    if resolved.kind != "adapter" or options.backend not in SHARED_BACKENDS or options.load_in_4bit:
        return None
    if is_prompt_learning(resolved.adapter):
        return None
    settings = tuple(sorted((k, repr(v)) for k, v in vars(options).items() if k not in ("model", "base_model")))
    return resolved.path, tokenizer_digest(resolved, options.trust_remote_code), settings


def group_shared(models: Sequence[tuple[ModelOptions, ResolvedModel]]) -> list[list[int]]:
    """Indices of ``models`` grouped by :func:`share_key`, in first-seen order (a model alone is a group of one).

    >>> solo = (ModelOptions("a"), ResolvedModel("checkpoint", "/m/a"))
    >>> group_shared([solo, solo])
    [[0], [1]]
    """
    groups: dict[object, list[int]] = {}
    for index, (options, resolved) in enumerate(models):
        key = share_key(options, resolved)
        groups.setdefault(key if key is not None else ("alone", index), []).append(index)
    return list(groups.values())


class SharedBase:
    """One loaded base and the LoRA adapters ``resolved`` of it; :meth:`activate` readies adapter ``i``."""

    def __init__(self, options: ModelOptions, resolved: Sequence[ResolvedModel]):
        if not resolved:
            raise ValueError("SharedBase needs at least one adapter")
        self.options, self.resolved = options, list(resolved)
        self.names = [f"adapter_{i}" for i in range(len(self.resolved))]
        self.active: int | None = None
        start = time.perf_counter()
        if options.backend == "vllm":
            # LoRA enabled with room for the largest rank among the adapters; each request names its own.
            widest = max(self.resolved, key=lambda r: vllm_max_lora_rank(r.adapter))
            self.loaded = build_lm(options, widest)
        else:
            self.loaded = self._load_hf()
        self.load_seconds = time.perf_counter() - start

    def _load_hf(self) -> LoadedModel:
        from peft import PeftModel

        from lawbench.models.hflm import LawbenchHFLM
        from lawbench.models.load import default_batch_size

        options, first = self.options, self.resolved[0]
        device, dtype = pick_device_dtype(options)
        model, tokenizer = load_pretrained(first, trust_remote_code=options.trust_remote_code,
                                           revision=options.revision, device=device, dtype=dtype)
        if model.get_input_embeddings().weight.shape[0] != len(tokenizer):
            model.resize_token_embeddings(len(tokenizer))  # adapters trained with added tokens
        adapter = first.adapter
        try:
            model = PeftModel.from_pretrained(model, adapter, adapter_name=self.names[0])
            for name, other in zip(self.names[1:], self.resolved[1:]):
                adapter = other.adapter
                model.load_adapter(adapter, adapter_name=name)
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise ModelError(f"cannot load adapter '{adapter}': {first_line(err)}") from None
        model.to(device)
        model.eval()
        tune_cpu_threads(model)
        # Every weight an adapter merges into (LoRA wraps it as ``base_layer``), kept to restore it exactly.
        self._pristine = {name: param.detach().clone() for name, param in model.named_parameters()
                          if ".base_layer." in name}
        self.peft = model
        batch_size = default_batch_size(options, device)
        lm = LawbenchHFLM(pretrained=model, tokenizer=tokenizer, backend="causal", batch_size=batch_size,
                          max_length=options.max_length, trust_remote_code=options.trust_remote_code,
                          prefix_cache=options.prefix_cache)
        template = getattr(tokenizer, "chat_template", None) if options.chat_template else None
        return LoadedModel(lm, template or None, device, dtype, 0.0,
                           {"batch_size": batch_size, "load_in_4bit": False})

    def activate(self, index: int) -> LoadedModel:
        """The model as adapter ``index`` alone would be evaluated; ``load_seconds`` is what it cost here."""
        start = time.perf_counter()
        if self.options.backend == "vllm":
            self._activate_vllm(index)
        elif index != self.active:
            self._activate_hf(index)
        lm = self.loaded.lm
        if hasattr(lm, "reset_prefix_cache"):
            lm.reset_prefix_cache()  # keys/values computed with another adapter's weights
        seconds = time.perf_counter() - start + (self.load_seconds if self.active is None else 0.0)
        self.active = index
        info = {**self.loaded.info, "shared_base": {"adapters": len(self.resolved), "position": index + 1}}
        return LoadedModel(lm, self.loaded.chat_template, self.loaded.device, self.loaded.dtype, seconds, info)

    def _activate_hf(self, index: int) -> None:
        import torch

        model = self.peft
        if self.active is not None:
            model.unmerge_adapter()
            with torch.no_grad():
                for name, param in model.named_parameters():
                    if name in self._pristine:
                        param.copy_(self._pristine[name])
        model.set_adapter(self.names[index])
        model.merge_adapter()  # the arithmetic of merge_and_unload: same weights as a lone evaluation

    def _activate_vllm(self, index: int) -> None:
        from vllm.lora.request import LoRARequest

        # vLLM caches adapters by integer id: one id per adapter of this engine, never reused for another.
        self.loaded.lm.lora_request = LoRARequest(self.names[index], index + 1, self.resolved[index].adapter)
