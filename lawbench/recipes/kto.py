"""``lawbench recipe kto``: Kahneman-Tversky Optimization on TRL's ``KTOTrainer`` (unpaired feedback).

    lawbench recipe kto --model out/rs-sft --dataset out/rs-sft --output-dir out/kto --use_peft \\
        --desirable_weight 1.0 --undesirable_weight 1.0 --learning_rate 5e-6 --then-eval --tasks lawshift

Data: ``prompt`` / ``completion`` / ``label`` records; ``prompt`` / ``chosen`` / ``rejected`` pairs,
split into one desirable and one undesirable sample each (an answer repeated across pairs counts
once); or rs-sft's output, where every distinct sampled answer is a sample labelled by the scorer's
verdict, so cases whose answers were all right or all wrong still teach (DPO cannot pair them).

``--desirable_weight`` / ``--undesirable_weight`` weigh the two losses. TRL's docs recommend
``desirable_weight * n_desirable / (undesirable_weight * n_undesirable)`` in [1, 4/3]; outside it
lawbench logs a warning with weights that bring it back. The reference is handled as in ``dpo``.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import trl

from lawbench.recipes.preference import (
    drop_reference_adapter,
    for_trl,
    kto_class_balance,
    load_preference_data,
    reference_model,
)
from lawbench.recipes.runner import RecipeContext, load_model, save, train_and_score, write_stage_file

__all__ = ["KTOConfig", "train", "check_class_balance"]
log = logging.getLogger(__name__)


@dataclass
class KTOConfig(trl.KTOConfig):
    """TRL's ``KTOConfig`` (``desirable_weight``, ``undesirable_weight``, ``beta``...)."""

    def __post_init__(self):
        super().__post_init__()
        if self.loss_type == "kto" and self.per_device_train_batch_size < 2:  # TRL would fail later, with a traceback
            raise ValueError("kto needs --per_device_train_batch_size >= 2: its KL term pairs each answer with "
                             "another prompt of the same batch")


def check_class_balance(records: list[dict], config) -> dict:
    """Count the classes and warn when their weighted ratio is outside the range TRL recommends."""
    desirable = sum(1 for record in records if record["label"])
    undesirable = len(records) - desirable
    balance = kto_class_balance(desirable, undesirable, config.desirable_weight, config.undesirable_weight)
    if not balance.in_range:
        log.warning("kto: %d desirable x desirable_weight %g against %d undesirable x undesirable_weight %g gives a "
                    "ratio of %.2f, outside [1, 4/3] that TRL's KTO docs recommend: %s", desirable,
                    config.desirable_weight, undesirable, config.undesirable_weight, balance.ratio, balance.advice)
    return {"desirable": desirable, "undesirable": undesirable, "weighted_ratio": round(balance.ratio, 4)}


def train(ctx: RecipeContext) -> None:
    import datasets

    model, tokenizer, peft_config = load_model(ctx)
    records, described = load_preference_data(ctx.recipe, "unpaired")
    counts = check_class_balance(records, ctx.training)
    # TRL's KTO reads batches in order (its KL estimate pairs neighbours), and rs-sft rows come grouped by
    # case and verdict: shuffle once, reproducibly, so batches mix cases and labels.
    random.Random(ctx.training.seed).shuffle(records)
    reference, how = reference_model(ctx, model, peft_config)
    log.info("kto: %d desirable, %d undesirable samples; reference: %s", counts["desirable"], counts["undesirable"],
             how)
    trainer = trl.KTOTrainer(model=model, ref_model=reference, args=ctx.training,
                             train_dataset=datasets.Dataset.from_list(for_trl(records, tokenizer)),
                             processing_class=tokenizer, peft_config=peft_config)
    train_and_score(trainer, ctx, tokenizer)
    drop_reference_adapter(trainer)
    save(trainer, tokenizer, ctx)
    write_stage_file(ctx, described, {"preference": {**counts, "reference": how}})
