"""``lawbench recipe ppo``: PPO on transformers + accelerate (TRL 1.16 no longer ships a PPOTrainer).

    lawbench recipe ppo --model out/sft --dataset ../shared/data/lawshift/action_explicit_extend/original.json \\
        --output-dir out/ppo --reward_funcs format charge term --reward_weights 0.2 0.4 0.4 \\
        --per_device_train_batch_size 4 --gradient_accumulation_steps 2 --num_mini_batches 2 \\
        --max_completion_length 128 --max_steps 200 --use_peft --then-eval

One PPO iteration is one ``global_step`` (``--max_steps`` counts iterations, ``--logging_steps`` logs
them, ``--warmup_steps`` and the LR schedule run over them):

1. **Rollout.** Each process takes ``B = per_device_train_batch_size × gradient_accumulation_steps ×
   num_mini_batches`` prompts and samples one answer each (``generate``; vLLM with ``--use_vllm``).
2. **Score.** lawbench's reward functions (:mod:`lawbench.metrics.rewards`, weighted by
   ``--reward_weights``) and/or a sequence-classification reward model (``--reward_model``) give one
   score per answer; ``--missing_eos_penalty`` is taken off answers that never finished.
3. **Per-token rewards.** ``r_t = -kl_coef * kl_t`` with ``kl_t = log π_old - log π_ref`` against a frozen
   reference; the score is added on the answer's last token.
4. **GAE** (``gamma``, ``lam``) turns rewards and value estimates into advantages and returns; the
   advantages are whitened over the batch's answer tokens.
5. **Update.** ``num_ppo_epochs`` passes over the batch, each in ``num_mini_batches`` shuffled
   mini-batches (one optimizer step each, accumulated over ``gradient_accumulation_steps`` micro-batches
   of ``per_device_train_batch_size``): clipped policy loss + ``vf_coef`` × clipped value loss.

Why a value head on the policy rather than a separate critic: a critic is a second full model with its
own activations, gradients and optimizer state (about twice the memory), and lawbench's rewards come
mostly from scorers, so there is no trained reward model to start a critic from. A linear head on the
policy's last hidden state gives the values from the same forward pass; with LoRA it trains beside
the adapter. The price is that value gradients also shape the shared trunk, kept small by ``vf_coef``.

The reference is a frozen copy of the starting policy; with LoRA (``--use_peft``) it is the same model
with the adapter switched off, so no second copy is loaded. (An adapter given as ``--model`` keeps
training, and then the reference is its base.)

Every logging step appends ``reward``, ``reward_std``, ``rewards/<source>``, ``kl``, ``entropy``,
``clip_fraction``, ``value_clip_fraction``, ``policy_loss``, ``value_loss``, ``approx_kl``,
``completion_length``, ``completion_eos_rate`` and ``learning_rate`` to ``OUT/trainer_state.json``'s
``log_history`` (TensorBoard with ``--report_to tensorboard``). ``OUT`` gets the policy (or adapter),
the tokenizer and ``value_head.safetensors``. Multi-GPU: ``accelerate launch`` (DDP); DeepSpeed and
FSDP are not supported.

Where the pieces live: this module holds the configuration, the update and the loop;
:mod:`~lawbench.recipes.ppo_math` the arithmetic (GAE, whitening, losses, KL), :mod:`~lawbench.recipes.ppo_model`
the policy with its value head and the reference, :mod:`~lawbench.recipes.ppo_rollout` sampling and scoring.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import TrainingArguments

from lawbench.errors import LawbenchError
from lawbench.recipes.ppo_math import (
    answer_logits,
    gae,
    kl_penalty,
    masked_mean,
    masked_whiten,
    policy_loss,
    position_ids,
    token_logprobs,
    token_rewards,
    value_loss,
)
from lawbench.recipes.ppo_model import (
    VALUE_HEAD_FILE,
    PolicyWithValueHead,
    build_model,
    forward_answer,
    keep_kwargs,
    optimizer_for,
    reference_logprobs,
    save_policy,
)
from lawbench.recipes.ppo_rollout import (
    Rollout,
    Scorer,
    make_rollout,
    pad_left,
    pad_right,
    sample_hf,
    start_vllm,
    trim_after_eos,
    vllm_arguments,
)
from lawbench.recipes.rl import validate_reward_settings
from lawbench.recipes.runner import RecipeContext, write_stage_file

log = logging.getLogger(__name__)

__all__ = [
    "PPOConfig", "ppo_update", "train",
    # the pieces, re-exported so that ``from lawbench.recipes.ppo import ...`` keeps working
    "VALUE_HEAD_FILE", "PolicyWithValueHead", "Rollout", "Scorer", "answer_logits", "build_model", "forward_answer",
    "gae", "keep_kwargs", "kl_penalty", "make_rollout", "masked_mean", "masked_whiten", "optimizer_for", "pad_left",
    "pad_right", "policy_loss", "position_ids", "reference_logprobs", "sample_hf", "save_policy", "start_vllm",
    "token_logprobs", "token_rewards", "trim_after_eos", "value_loss", "vllm_arguments",
]
# --------------------------------------------------------------------------- configuration
@dataclass
class PPOConfig(TrainingArguments):
    """``TrainingArguments`` plus PPO's settings; every field is a ``lawbench recipe ppo`` flag."""

    # TrainingArguments fields with PPO defaults
    learning_rate: float = field(default=1e-6, metadata={"help": "Peak learning rate (policy and value head)."})
    per_device_train_batch_size: int = field(
        default=4, metadata={"help": "Micro-batch: sequences per forward/backward pass (rollout batch = this x "
                                     "gradient_accumulation_steps x num_mini_batches)."})
    logging_steps: float = field(default=10, metadata={"help": "Log every N PPO iterations."})
    bf16: bool | None = field(default=None, metadata={"help": "bf16 mixed precision (default: on unless --fp16)."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow custom model code from the hub."})

    # rollouts
    max_completion_length: int = field(default=256, metadata={"help": "Longest sampled answer, in tokens."})
    temperature: float = field(default=1.0, metadata={"help": "Sampling temperature (the log-probs use it too)."})
    top_p: float = field(default=1.0, metadata={"help": "Nucleus sampling threshold (1.0: off)."})
    top_k: int = field(default=0, metadata={"help": "Top-k sampling (0: off)."})
    # batch shape
    num_mini_batches: int = field(default=1, metadata={"help": "Optimizer steps per pass over a rollout batch."})
    num_ppo_epochs: int = field(default=4, metadata={"help": "Passes over each rollout batch."})
    # objective
    kl_coef: float = field(default=0.05, metadata={"help": "Weight of the per-token KL penalty to the reference."})
    kl_estimator: str = field(
        default="k1", metadata={"help": "KL estimate in the reward: k1 (log-ratio) or k3 (non-negative)."})
    cliprange: float = field(default=0.2, metadata={"help": "Policy ratio clip range."})
    cliprange_value: float = field(default=0.2, metadata={"help": "Value clip range around the rollout's values."})
    vf_coef: float = field(default=0.1, metadata={"help": "Weight of the value loss."})
    gamma: float = field(default=1.0, metadata={"help": "Discount factor."})
    lam: float = field(default=0.95, metadata={"help": "GAE lambda."})
    whiten_advantages: bool = field(default=True, metadata={"help": "Whiten advantages over each rollout batch."})
    missing_eos_penalty: float | None = field(
        default=None, metadata={"help": "Subtracted from the score of answers cut at max_completion_length."})
    value_learning_rate: float | None = field(
        default=None, metadata={"help": "Learning rate of the value head (default: --learning_rate)."})
    # rewards
    reward_funcs: list[str] | None = field(
        default=None,
        metadata={"help": "Reward functions: format, charge, term, choice, or module.function import paths "
                          "(default: format charge term; none when --reward_model is given)."},
    )
    reward_weights: list[float] | None = field(
        default=None, metadata={"help": "One weight per reward source (reward model first); default all 1."})
    reward_model: str | None = field(
        default=None, metadata={"help": "Sequence-classification reward model (folder, LoRA adapter or hub id)."})
    # vLLM rollouts (CUDA)
    use_vllm: bool = field(
        default=False, metadata={"help": "Sample rollouts with vLLM (pip install 'lawbench[vllm]')."})
    vllm_mode: str = field(
        default="colocate", metadata={"help": "colocate (in this process) or server (trl vllm-serve)."})
    vllm_server_base_url: str | None = field(default=None, metadata={"help": "Server mode: base URL of the server."})
    vllm_server_host: str = field(default="0.0.0.0", metadata={"help": "Server mode: host (without a base URL)."})
    vllm_server_port: int = field(default=8000, metadata={"help": "Server mode: port (without a base URL)."})
    vllm_server_timeout: float = field(
        default=240.0, metadata={"help": "Server mode: seconds to wait for the server."})
    vllm_gpu_memory_utilization: float = field(
        default=0.3, metadata={"help": "Colocate mode: GPU memory share for vLLM."})
    vllm_tensor_parallel_size: int = field(default=1, metadata={"help": "Colocate mode: tensor-parallel size."})

    def __post_init__(self):
        self.bf16 = not self.fp16 if self.bf16 is None else self.bf16
        super().__post_init__()
        validate_reward_settings(self)
        checks = [
            (self.max_completion_length >= 1, "max_completion_length must be >= 1"),
            (self.temperature > 0, "temperature must be > 0 (PPO samples its rollouts)"),
            (self.num_mini_batches >= 1 and self.num_ppo_epochs >= 1,
             "num_mini_batches and num_ppo_epochs must be >= 1"),
            (self.kl_estimator in ("k1", "k3"), f"kl_estimator must be k1 or k3, got {self.kl_estimator!r}"),
            (self.cliprange > 0 and self.cliprange_value > 0, "cliprange and cliprange_value must be > 0"),
            (0 <= self.gamma <= 1 and 0 <= self.lam <= 1, "gamma and lam must lie in [0, 1]"),
            (self.vllm_mode in ("colocate", "server"),
             f"vllm_mode must be colocate or server, got {self.vllm_mode!r}"),
            (not self.deepspeed and not self.fsdp,
             "ppo runs on one device or DDP (accelerate launch); DeepSpeed/FSDP are not supported"),
            (not self.resume_from_checkpoint,
             "ppo cannot resume from a checkpoint; start a new run from a saved one with --model"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def rollout_batch_size(self) -> int:
        """Prompts per process per PPO iteration."""
        return self.per_device_train_batch_size * self.gradient_accumulation_steps * self.num_mini_batches

# --------------------------------------------------------------------------- one update
def ppo_update(model, optimizer, accelerator, rollout: Rollout, config: PPOConfig) -> dict[str, float]:
    """``num_ppo_epochs`` passes of clipped policy + value losses over shuffled mini-batches."""
    size = rollout.input_ids.shape[0]
    mini = size // config.num_mini_batches
    micro = config.per_device_train_batch_size
    sums: dict[str, list[float]] = defaultdict(list)
    model.train()
    for _ in range(config.num_ppo_epochs):
        order = torch.randperm(size, device=rollout.input_ids.device)
        for mini_start in range(0, size, mini):
            for micro_start in range(mini_start, mini_start + mini, micro):
                index = order[micro_start : micro_start + micro]
                with accelerator.accumulate(model):
                    logprobs, entropy, values = forward_answer(
                        model, rollout.input_ids[index], rollout.attention_mask[index], rollout.answer_ids[index],
                        rollout.prompt_width, config.temperature)
                    mask = rollout.answer_mask[index]
                    pg, clip_fraction, approx_kl = policy_loss(logprobs, rollout.logprobs[index],
                                                               rollout.advantages[index], mask, config.cliprange)
                    vf, value_clip = value_loss(values, rollout.values[index], rollout.returns[index], mask,
                                                config.cliprange_value)
                    accelerator.backward(pg + config.vf_coef * vf)
                    if accelerator.sync_gradients and config.max_grad_norm:
                        accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                    optimizer.step()
                    optimizer.zero_grad()
                for key, value in (("policy_loss", pg), ("value_loss", vf), ("clip_fraction", clip_fraction),
                                   ("value_clip_fraction", value_clip), ("approx_kl", approx_kl),
                                   ("entropy", masked_mean(entropy.detach(), mask))):
                    sums[key].append(value.item())
    return {key: sum(values) / len(values) for key, values in sums.items()}


# --------------------------------------------------------------------------- training loop
def train(ctx: RecipeContext) -> None:
    """Rollout, update, log and save once per PPO iteration until ``max_steps`` (see the module docstring)."""
    from accelerate.utils import set_seed
    from torch.utils.data import DataLoader
    from transformers import TrainerControl

    from lawbench.recipes.rl import load_prompt_rows, rewards_described

    config: PPOConfig = ctx.training
    accelerator = make_accelerator(config)
    set_seed(config.seed)
    model, reference, tokenizer = build_model(ctx)
    rows, described = load_prompt_rows(ctx.recipe)
    batch = config.rollout_batch_size
    if len(rows) < batch * accelerator.num_processes:
        raise LawbenchError(f"ppo needs at least {batch * accelerator.num_processes} prompts for one rollout batch "
                            "(per_device_train_batch_size x gradient_accumulation_steps x num_mini_batches x "
                            f"processes), got {len(rows)}")
    scorer = Scorer(config, rows, accelerator.device)
    loader = DataLoader(rows, batch_size=batch, shuffle=True, collate_fn=list, drop_last=True)
    optimizer = optimizer_for(model, config)
    steps_per_epoch = len(rows) // (batch * accelerator.num_processes)
    max_steps = config.max_steps if config.max_steps > 0 else math.ceil(config.num_train_epochs * steps_per_epoch)
    scheduler = lr_scheduler(config, optimizer, max_steps)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)  # the scheduler steps once per iteration
    if reference is not None:
        reference.to(accelerator.device)
    policy = accelerator.unwrap_model(model).policy
    vllm = start_vllm(policy, accelerator, tokenizer, config) if config.use_vllm else None

    state = trainer_state(config, accelerator, max_steps, steps_per_epoch)
    callbacks = trainer_callbacks(config, policy, tokenizer, optimizer, scheduler)
    add_live_eval(ctx, callbacks, state, accelerator, tokenizer, policy)
    control = callbacks.on_train_begin(config, state, TrainerControl())
    out = Path(config.output_dir)
    pending: dict[str, list[float]] = defaultdict(list)
    started = time.time()
    for rows_batch in prompt_batches(loader):
        if vllm is not None:  # the engine samples with the current policy (a continued adapter from the start)
            vllm.sync_weights()
        rollout, stats = make_rollout(accelerator.unwrap_model(model), reference, tokenizer, rows_batch, config,
                                      scorer, vllm, accelerator.device)
        stats.update(ppo_update(model, optimizer, accelerator, rollout, config))
        stats["learning_rate"] = scheduler.get_last_lr()[0]
        scheduler.step()
        for key, value in stats.items():
            pending[key].append(value)
        state.global_step += 1
        state.epoch = state.global_step / steps_per_epoch
        control = callbacks.on_step_end(config, state, control)
        if control.should_log:
            control = log_pending(accelerator, callbacks, config, state, control, pending)
        if control.should_save:
            save_checkpoint(accelerator, model, tokenizer, state, out / f"checkpoint-{state.global_step}")
            control = callbacks.on_save(config, state, control)
        if control.should_training_stop or state.global_step >= max_steps:
            break
    state.log_history.append({"train_runtime": round(time.time() - started, 2), "step": state.global_step,
                              "epoch": round(state.epoch, 4)})
    callbacks.on_train_end(config, state, control)
    save_checkpoint(accelerator, model, tokenizer, state, out)
    if accelerator.is_main_process:
        rewards = rewards_described(config.reward_funcs or [], config.reward_weights, config.reward_model)
        write_stage_file(ctx, described, {"rewards": rewards})
    accelerator.wait_for_everyone()


# --------------------------------------------------------------------------- the loop's plumbing
def make_accelerator(config: PPOConfig):
    """Mixed precision from ``--bf16`` / ``--fp16``; gradient accumulation counted in micro-batches."""
    from accelerate import Accelerator
    from accelerate.utils import GradientAccumulationPlugin

    return Accelerator(
        mixed_precision="bf16" if config.bf16 else "fp16" if config.fp16 else "no",
        # sync by count only: the prompt loader's end must not force a step in the middle of a mini-batch
        gradient_accumulation_plugin=GradientAccumulationPlugin(num_steps=config.gradient_accumulation_steps,
                                                                sync_with_dataloader=False))


def lr_scheduler(config: PPOConfig, optimizer, max_steps: int):
    """transformers' schedule (``--lr_scheduler_type``, ``--warmup_steps``) over PPO iterations."""
    from transformers import get_scheduler

    return get_scheduler(config.lr_scheduler_type, optimizer, num_warmup_steps=config.get_warmup_steps(max_steps),
                         num_training_steps=max_steps, scheduler_specific_kwargs=config.lr_scheduler_kwargs or {})


def trainer_state(config: PPOConfig, accelerator, max_steps: int, steps_per_epoch: int):
    """A transformers ``TrainerState``, so that callbacks, logs and ``trainer_state.json`` look like TRL's."""
    from transformers import TrainerState

    state = TrainerState(max_steps=max_steps, logging_steps=config.logging_steps, save_steps=config.save_steps,
                         num_train_epochs=math.ceil(max_steps / steps_per_epoch),
                         train_batch_size=config.rollout_batch_size,
                         is_local_process_zero=accelerator.is_local_main_process,
                         is_world_process_zero=accelerator.is_main_process)
    if 0 < config.logging_steps < 1:  # a ratio of the whole run, as in transformers
        state.logging_steps = max(1, math.ceil(max_steps * config.logging_steps))
    return state


def trainer_callbacks(config: PPOConfig, policy, tokenizer, optimizer, scheduler):
    """transformers' flow (when to log and save), reporting (``--report_to``) and progress-bar callbacks."""
    from transformers.integrations import get_reporting_integration_callbacks
    from transformers.trainer_callback import CallbackHandler, DefaultFlowCallback, ProgressCallback

    return CallbackHandler([DefaultFlowCallback, *get_reporting_integration_callbacks(config.report_to),
                            ProgressCallback], policy, tokenizer, optimizer, scheduler)


def add_live_eval(ctx: RecipeContext, callbacks, state, accelerator, tokenizer, policy) -> None:
    """``--eval_tasks`` / ``--eval_steps``: lawbench scores of the policy (adapter included), logged like the rest."""
    from transformers import TrainerControl

    from lawbench.recipes.live_eval import callback_for

    def log_fn(logs: dict) -> None:
        logs = {**logs, "epoch": round(state.epoch or 0.0, 4)}
        state.log_history.append({**logs, "step": state.global_step})
        callbacks.on_log(ctx.training, state, TrainerControl(), logs=logs)

    callback = callback_for(ctx, log_fn, accelerator, tokenizer, lambda: policy)
    if callback is not None:
        callbacks.add_callback(callback)


def log_pending(accelerator, callbacks, config: PPOConfig, state, control, pending: dict[str, list[float]]):
    """Average the statistics gathered since the last log into one ``log_history`` entry, and report it."""
    logs = {k: reduce_mean(accelerator, v) for k, v in sorted(pending.items())}
    logs = {k: v for k, v in logs.items() if not math.isnan(v)}  # JSON has no NaN
    logs["epoch"] = round(state.epoch, 4)
    state.log_history.append({**logs, "step": state.global_step})
    control = callbacks.on_log(config, state, control, logs=logs)
    pending.clear()
    control.should_log = False
    return control


def save_checkpoint(accelerator, model, tokenizer, state, out: Path) -> None:
    """:func:`save_policy` plus ``trainer_state.json`` (the log history the leaderboard plots)."""
    save_policy(accelerator, model, tokenizer, out)
    if accelerator.is_main_process:
        state.save_to_json(str(out / "trainer_state.json"))


def prompt_batches(loader):
    """Rollout batches forever, reshuffled each pass (``set_epoch`` for the distributed sampler)."""
    epoch = 0
    while True:
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(epoch)
        yield from loader
        epoch += 1


def reduce_mean(accelerator, values: list[float]) -> float:
    """The mean of a statistic over the steps since the last log and over processes, ignoring NaN (NaN if all are)."""
    local = torch.tensor(values, device=accelerator.device, dtype=torch.float32).nanmean().reshape(1)
    return accelerator.gather(local).nanmean().item() if accelerator.num_processes > 1 else local.item()
