"""``lawbench recipe dpo``: Direct Preference Optimization on TRL's ``DPOTrainer``.

    lawbench recipe dpo --model out/rs-sft --dataset out/rs-sft/sampled.jsonl --output-dir out/dpo \\
        --use_peft --lora_r 16 --beta 0.1 --learning_rate 5e-6 --then-eval --tasks lawshift

Data: ``prompt`` / ``chosen`` / ``rejected`` records, or rs-sft's output, from which each case's
accepted answers are paired with its rejected ones (:mod:`lawbench.recipes.preference`). ``--beta``
(default 0.1) sets how far the policy may move from the reference; every ``DPOConfig`` field is a flag
(``--loss_type``, ``--label_smoothing``, ``--precompute_ref_log_probs``...).

The reference is the model as it enters training. With ``--use_peft`` no second copy is loaded: TRL
computes the reference log-probabilities with the adapter switched off (the frozen base), or, when
``--model`` is an adapter that keeps training, with a frozen copy of that adapter's starting weights.
Without LoRA the reference is a second copy loaded exactly like the policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import trl

from lawbench.recipes.preference import (
    PairingArguments,
    drop_reference_adapter,
    for_trl,
    load_preference_data,
    reference_model,
)
from lawbench.recipes.runner import RecipeContext, load_model, save, train_and_score, write_stage_file

__all__ = ["DPOConfig", "train", "reference_model"]
log = logging.getLogger(__name__)


@dataclass
class DPOConfig(PairingArguments, trl.DPOConfig):
    """TRL's ``DPOConfig`` plus how pairs are built from rs-sft's output."""

    def __post_init__(self):
        super().__post_init__()
        self.check_pairing()


def train(ctx: RecipeContext) -> None:
    import datasets

    model, tokenizer, peft_config = load_model(ctx)
    records, described = load_preference_data(ctx.recipe, "pairs", ctx.training)
    reference, how = reference_model(ctx, model, peft_config)
    log.info("dpo: %d pairs; reference: %s", len(records), how)
    trainer = trl.DPOTrainer(model=model, ref_model=reference, args=ctx.training,
                             train_dataset=datasets.Dataset.from_list(for_trl(records, tokenizer)),
                             processing_class=tokenizer, peft_config=peft_config)
    train_and_score(trainer, ctx, tokenizer)
    drop_reference_adapter(trainer)
    save(trainer, tokenizer, ctx)
    write_stage_file(ctx, described, {"preference": {"pairs": len(records), "reference": how}})
