"""Which PEFT adapter a recipe trains: LoRA (TRL's ``--lora_*`` flags) or a prompt-learning method.

    lawbench recipe sft --model M --dataset D --output-dir out/ptuning --use_peft --peft_type prefix \\
        --num_virtual_tokens 32 --prefix_projection

``--peft_type`` picks the method (``--use_peft`` is implied by any type other than ``lora``):

* ``lora``: TRL's ``get_peft_config`` from ``--lora_r``, ``--lora_alpha``, ``--lora_target_modules`` ...;
* ``prefix``: PEFT ``PrefixTuningConfig`` (P-Tuning v2, as in the ChatGLM law chapter: trained key/value
  prefixes in every layer; ``--prefix_projection`` adds the reparameterisation MLP);
* ``ptuning``: PEFT ``PromptEncoderConfig`` (P-Tuning v1: an MLP or LSTM prompt encoder);
* ``prompt``: PEFT ``PromptTuningConfig`` (soft prompt; ``--prompt_tuning_init_text`` starts it from words).

Prompt-learning adapters change the input, not the weights: they cannot be merged into the base, so
eval, chat and generate load them as adapters (``lawbench model merge`` refuses them with one line).
They train with the causal-LM recipes built on TRL's SFT trainer (:data:`PROMPT_LEARNING_RECIPES`).

(No ``from __future__ import annotations`` here: HfArgumentParser reads these type hints at run time.)
"""

import logging
from dataclasses import dataclass, field
from typing import Optional

from lawbench.errors import LawbenchError

log = logging.getLogger(__name__)

PEFT_TYPES = ("lora", "prefix", "ptuning", "prompt")
# Recipes whose trainer is TRL's SFTTrainer on a causal LM: the prompt-learning methods train there. The
# preference and RL recipes compare against the adapter-disabled model or generate through PEFT's
# virtual-token path, which lawbench does not test for prompt learning yet.
PROMPT_LEARNING_RECIPES = ("pt", "sft", "rs-sft")


@dataclass
class PeftArguments:
    """``--peft_type`` and the prompt-learning methods' options (LoRA's are TRL's ``--lora_*``)."""

    peft_type: str = field(default="lora", metadata={"help": "Adapter method with --use_peft: lora, prefix "
                                                             "(P-Tuning v2), ptuning (P-Tuning) or prompt (prompt "
                                                             "tuning).", "choices": list(PEFT_TYPES)})
    num_virtual_tokens: int = field(
        default=20, metadata={"help": "prefix / ptuning / prompt: virtual tokens prepended to every input."})
    prefix_projection: bool = field(
        default=False, metadata={"help": "prefix: reparameterise the prefix through an MLP (P-Tuning v2's "
                                         "prefix_projection)."})
    encoder_hidden_size: Optional[int] = field(
        default=None, metadata={"help": "prefix (with --prefix_projection) / ptuning: hidden size of the prompt "
                                        "encoder (default: the model's hidden size)."})
    encoder_reparameterization_type: str = field(
        default="MLP", metadata={"help": "ptuning: prompt encoder, MLP or LSTM.", "choices": ["MLP", "LSTM"]})
    prompt_tuning_init_text: Optional[str] = field(
        default=None, metadata={"help": "prompt: start the soft prompt from this text's embeddings (default: "
                                        "random)."})

    def __post_init__(self):
        if self.num_virtual_tokens < 1:
            raise LawbenchError(f"--num_virtual_tokens must be at least 1, got {self.num_virtual_tokens}")


def build_peft_config(recipe_name: str, peft_args: Optional[PeftArguments], model_args, model_path: str,
                      training=None):
    """The PEFT config to train (``None`` without ``--use_peft``); ``model_args`` is TRL's ``ModelConfig``.

    Prefix tuning turns ``training.activation_checkpointing`` off: recomputed layers run without the key/value
    cache, and that cache is where the trained prefix lives (the attention mask would not match).
    """
    from trl import get_peft_config

    peft_type = peft_args.peft_type if peft_args is not None else "lora"
    if peft_type == "lora":
        return get_peft_config(model_args)
    if recipe_name not in PROMPT_LEARNING_RECIPES:
        raise LawbenchError(f"lawbench recipe {recipe_name}: --peft_type {peft_type} is supported by "
                            f"{', '.join(PROMPT_LEARNING_RECIPES)} only; use --peft_type lora")
    if model_args.load_in_4bit or model_args.load_in_8bit:
        raise LawbenchError(f"--peft_type {peft_type} trains on an unquantised model; drop --load_in_4bit/8bit")
    from peft import PrefixTuningConfig, PromptEncoderConfig, PromptTuningConfig

    common = {"task_type": "CAUSAL_LM", "num_virtual_tokens": peft_args.num_virtual_tokens}
    if peft_type == "prefix":
        # transformers 5 spells it activation_checkpointing (gradient_checkpointing is its deprecated alias)
        if training is not None and (getattr(training, "activation_checkpointing", False)
                                     or getattr(training, "gradient_checkpointing", False)):
            log.info("prefix tuning: activation checkpointing off (checkpointed layers drop the prefix cache)")
            training.activation_checkpointing = training.gradient_checkpointing = False
        extra = {"encoder_hidden_size": peft_args.encoder_hidden_size} if peft_args.encoder_hidden_size else {}
        return PrefixTuningConfig(**common, prefix_projection=peft_args.prefix_projection, **extra)
    if peft_type == "ptuning":
        extra = {"encoder_hidden_size": peft_args.encoder_hidden_size} if peft_args.encoder_hidden_size else {}
        return PromptEncoderConfig(**common, encoder_reparameterization_type=peft_args.encoder_reparameterization_type,
                                   **extra)
    if peft_args.prompt_tuning_init_text:
        return PromptTuningConfig(**common, prompt_tuning_init="TEXT", tokenizer_name_or_path=model_path,
                                  prompt_tuning_init_text=peft_args.prompt_tuning_init_text)
    return PromptTuningConfig(**common)
