"""``lawbench recipe rm``: a reward model (sequence classifier, one score) on TRL's ``RewardTrainer``.

    lawbench recipe rm --model out/sft --dataset out/rs-sft --output-dir out/rm --use_peft --lora_r 16 \\
        --learning_rate 1e-4 --num_train_epochs 1

Data: ``prompt`` / ``chosen`` / ``rejected`` pairs, or rs-sft's output paired as for ``dpo``. The loss is
``-log sigmoid(r(chosen) - r(rejected))`` (every ``RewardConfig`` field is a flag, e.g.
``--center_rewards_coefficient``). There is no ``--then-eval``: a reward model scores answers, it does
not write them.

``OUT`` holds either the whole ``AutoModelForSequenceClassification`` or, with ``--use_peft``, a
LoRA adapter whose ``modules_to_save`` carries the trained score head. Load it for PPO with
:func:`load_reward_model` and score chats with :func:`reward_scores`::

    model, tokenizer = load_reward_model("out/rm")
    reward_scores(model, tokenizer, [[{"role": "user", "content": "问"}]], [[{"role": "assistant", "content": "答"}]])

By hand: ``AutoModelForSequenceClassification.from_pretrained(BASE, num_labels=1)`` then
``PeftModel.from_pretrained(model, "out/rm")``, where BASE is ``lawbench_stage.json``'s
``reward_model.base`` (with ``reward_model.merged_adapter`` merged into it first, if set).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import trl

from lawbench.errors import ModelError
from lawbench.models.load import default_device, merge_adapter
from lawbench.recipes.preference import PairingArguments, chat_prompt, chat_reply, for_trl, load_preference_data
from lawbench.recipes.registry import STAGE_FILE
from lawbench.recipes.runner import RecipeContext, load_model, resume_arg, save, write_stage_file

__all__ = ["RewardConfig", "train", "load_reward_model", "reward_scores"]
log = logging.getLogger(__name__)
HEAD_NAMES = ("score", "classifier")  # sequence-classification heads in transformers (Qwen/Llama: score)


@dataclass
class RewardConfig(PairingArguments, trl.RewardConfig):
    """TRL's ``RewardConfig`` plus how pairs are built from rs-sft's output."""

    def __post_init__(self):
        super().__post_init__()
        self.check_pairing()


def head_name(model) -> str:
    for name in HEAD_NAMES:
        if hasattr(model, name):
            return name
    raise ModelError(f"{type(model).__name__} has no score head named {' or '.join(HEAD_NAMES)}")


def train(ctx: RecipeContext) -> None:
    import datasets

    from lawbench.models.resolve import ModelOptions, resolve_model

    model, tokenizer, peft_config = load_model(ctx, for_sequence_classification=True)
    head = head_name(model)
    if peft_config is not None:
        # The score head is new and must train and be saved with the adapter; PEFT's SEQ_CLS task does
        # that for known head names, and listing it keeps it explicit for any other.
        peft_config.task_type = "SEQ_CLS"
        peft_config.modules_to_save = sorted(set(peft_config.modules_to_save or []) | {head})
    records, described = load_preference_data(ctx.recipe, "pairs", ctx.training)
    log.info("rm: %d pairs", len(records))
    trainer = trl.RewardTrainer(model=model, args=ctx.training,
                                train_dataset=datasets.Dataset.from_list(for_trl(records, tokenizer)),
                                processing_class=tokenizer, peft_config=peft_config)
    trainer.train(resume_from_checkpoint=resume_arg(ctx.training))
    save(trainer, tokenizer, ctx)
    resolved = resolve_model(ModelOptions(ctx.recipe.model, trust_remote_code=ctx.training.trust_remote_code))
    write_stage_file(ctx, described, {"reward_model": {
        "head": head, "adapter": peft_config is not None,
        "base": resolved.path if peft_config is not None else None,  # what the adapter applies to
        "merged_adapter": resolved.adapter if peft_config is not None else None,  # merged into base first
        "pairs": len(records)}})


def load_reward_model(path: str, dtype=None, device: str | None = None):
    """``(model, tokenizer)`` of a reward model written by ``lawbench recipe rm`` (full model or adapter).

    Example: ``model, tokenizer = load_reward_model("out/rm")``; the model is in eval mode.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from lawbench.utils.io import read_json_strict

    folder = Path(path)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    kwargs = {"num_labels": 1, "dtype": dtype or torch.float32}
    if (folder / "adapter_config.json").is_file():
        info = read_json_strict(folder / STAGE_FILE).get("reward_model", {}) if (folder / STAGE_FILE).is_file() else {}
        base = info.get("base")
        if not base:
            from lawbench.models.resolve import ModelOptions, resolve_model

            base = resolve_model(ModelOptions(str(folder))).path
        model = AutoModelForSequenceClassification.from_pretrained(base, **kwargs)
        if info.get("merged_adapter"):
            model = merge_adapter(model, info["merged_adapter"])
        model = PeftModel.from_pretrained(model, str(folder))  # the LoRA weights and the trained score head
    else:
        model = AutoModelForSequenceClassification.from_pretrained(folder, **kwargs)
    pad = tokenizer.pad_token_id
    model.config.pad_token_id = pad if pad is not None else tokenizer.eos_token_id
    return model.to(device or default_device()).eval(), tokenizer


def reward_scores(model, tokenizer, prompts: list, completions: list, batch_size: int = 8) -> list[float]:
    """One reward per (prompt, completion), rendered with the chat template exactly as the trainer did.

    Prompts and completions are strings or chat turns (as in the training data).
    """
    import torch

    conversations = [chat_prompt(p, "prompt") + chat_reply(c, "completion", "completion")
                     for p, c in zip(prompts, completions, strict=True)]
    template = for_trl([{}], tokenizer)[0].get("chat_template_kwargs", {})
    scores: list[float] = []
    side, tokenizer.padding_side = tokenizer.padding_side, "right"  # the head reads the last non-pad token
    try:
        for start in range(0, len(conversations), batch_size):
            ids = [tokenizer.apply_chat_template(c, tokenize=True, return_dict=True, **template)["input_ids"]
                   for c in conversations[start : start + batch_size]]
            batch = tokenizer.pad({"input_ids": ids}, return_tensors="pt").to(model.device)
            with torch.no_grad():
                scores += model(**batch).logits[:, 0].float().tolist()
    finally:
        tokenizer.padding_side = side
    return scores
