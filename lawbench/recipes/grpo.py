"""``lawbench recipe grpo``: GRPO on TRL's ``GRPOTrainer``, rewarded by lawbench's scorers.

    lawbench recipe grpo --model out/sft --dataset ../shared/data/lawshift/action_explicit_extend/original.json \\
        --output-dir out/grpo --reward_funcs format charge term --reward_weights 0.2 0.4 0.4 \\
        --num_generations 8 --max_completion_length 256 --use_peft --then-eval

Prompts: LawShift cases (the evaluation prompt), LawBench 3-4 / 3-5 records, multiple-choice questions
or ``prompt`` records (:mod:`lawbench.recipes.rl`); the gold fields stay dataset columns, which TRL
passes to the reward functions. Rewards (``--reward_funcs``): ``format`` (answer tags present and
parseable), ``charge`` (right charge), ``term`` (CAIL log-distance closeness of the prison term),
``choice`` (multiple-choice letters), any ``module.function`` of your own, and ``--reward_model PATH``
(a sequence-classification model or LoRA adapter, e.g. from ``lawbench recipe rm``; it comes first in
``--reward_weights``). TRL weights them (``--reward_weights``) and logs ``reward`` and each
``rewards/<func>/mean`` into ``trainer_state.json``.

Every ``GRPOConfig`` field is a flag: ``--num_generations``, ``--max_completion_length``, ``--beta``
(KL coefficient, 0 by default in TRL: no reference model), ``--loss_type``, ``--use_vllm`` with
``--vllm_mode colocate`` or ``server`` (start the server with ``trl vllm-serve --model M``). LoRA
via ``--use_peft``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig as TRLGRPOConfig

from lawbench.errors import LawbenchError
from lawbench.recipes.rl import validate_reward_settings
from lawbench.recipes.runner import RecipeContext, load_model, save, train_and_score, write_stage_file

__all__ = ["GRPOConfig", "train"]


@dataclass
class GRPOConfig(TRLGRPOConfig):
    """TRL's ``GRPOConfig`` plus where the rewards come from (``reward_weights`` is TRL's own field)."""

    reward_funcs: list[str] | None = field(
        default=None,
        metadata={"help": "Reward functions: format, charge, term, choice, or module.function import paths "
                          "(default: format charge term; none when --reward_model is given)."},
    )
    reward_model: str | None = field(
        default=None,
        metadata={"help": "Sequence-classification reward model (folder, LoRA adapter or hub id); "
                          "first in --reward_weights."},
    )

    def __post_init__(self):
        super().__post_init__()
        validate_reward_settings(self)


def reward_sources(ctx: RecipeContext, rows: list[dict]):
    """The reward functions (and reward model) for ``GRPOTrainer``, with their processing classes."""
    from lawbench.recipes.rl import check_rewards_apply, load_reward_model, reward_functions

    config = ctx.training
    names = list(config.reward_funcs or [])
    check_rewards_apply(names, rows)
    funcs, processing = list(reward_functions(names)), [None] * len(names)
    if config.reward_model:
        model, tokenizer = load_reward_model(config.reward_model, config.trust_remote_code)
        funcs.insert(0, model)
        processing.insert(0, tokenizer)
    return funcs, processing


def train(ctx: RecipeContext) -> None:
    import importlib.util

    from trl import GRPOTrainer

    from lawbench.recipes.conversation import PLAIN_TEMPLATE
    from lawbench.recipes.rl import load_prompt_rows, rewards_described, rows_dataset

    if ctx.training.use_vllm and importlib.util.find_spec("vllm") is None:
        raise LawbenchError("--use_vllm needs vLLM and a CUDA GPU: pip install 'lawbench[vllm]' (or drop --use_vllm)")
    model, tokenizer, peft_config = load_model(ctx)
    if tokenizer.chat_template is None:  # a base model: prompts are rendered as plain text
        extra = ctx.training.chat_template_kwargs or {}
        ctx.training.chat_template_kwargs = {"chat_template": PLAIN_TEMPLATE, **extra}
    rows, described = load_prompt_rows(ctx.recipe)
    funcs, processing = reward_sources(ctx, rows)
    trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=ctx.training, train_dataset=rows_dataset(rows),
                          processing_class=tokenizer, reward_processing_classes=processing, peft_config=peft_config)
    train_and_score(trainer, ctx, tokenizer)
    save(trainer, tokenizer, ctx)
    config = ctx.training
    write_stage_file(ctx, described, {"rewards": rewards_described(config.reward_funcs or [], config.reward_weights,
                                                                   config.reward_model)})
