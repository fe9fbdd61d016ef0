"""Score the model being trained on lawbench tasks every N optimizer steps and at the end of training.

    lawbench recipe sft --model M --dataset D --output-dir OUT --eval_tasks lawshift --eval_steps 50 \\
        --eval_limit 8 --eval_data_dir ../shared/data --eval_gen_kwargs max_gen_toks=64

The evaluation is ``lawbench eval``'s own (:func:`lawbench.evaluate.load_tasks` and
:func:`lawbench.evaluate.evaluate`: lm-eval's ``simple_evaluate`` over the same task YAMLs, prompts,
parsers, metrics and seeds), run in the training process on the live model wrapped in lawbench's
``HFLM``: nothing is saved or copied, and with LoRA the adapter in training is what answers. The
tasks' data are read and validated once, before the first step.

Every result is logged as ``lawbench/<task>/<metric>`` (``<metric>,<filter>`` for a filter other than
``none``) through the trainer's own ``log``, so it lands in ``trainer_state.json``'s log history,
TensorBoard and W&B (``--report_to``); ``lawbench/eval_runtime`` is the seconds that evaluation took and
``lawbench/eval_runtime_total`` their running sum. ``--eval_steps`` is ``TrainingArguments``' own field
(a ratio below 1 is a share of the run, as in transformers); it does not switch on transformers' eval
loop, which ``--eval_strategy`` alone controls.

Cost: the same fixed subset at every step (the first ``--eval_limit`` items of every subtask, exactly
what ``lawbench eval --limit`` takes, so a logged point can be reproduced from a saved checkpoint), no
bootstrap resampling (the final ``--then-eval`` run has the confidence intervals), no request cache (the
weights change). The random states of python, numpy and torch are restored afterwards, so training
with and without these evaluations follows the same random stream.

Under DDP (``accelerate launch`` / ``torchrun``) every process evaluates its share of the items and
lm-eval gathers them on the main process, whose metrics are then broadcast so every process logs the
same values. DeepSpeed ZeRO-3 and FSDP shard the weights and need all processes to run the same forward
passes, which item-split generation does not do: they are refused with an error.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from typing import Any, Callable

from transformers import TrainerCallback

log = logging.getLogger(__name__)
PREFIX = "lawbench/"
DEFAULT_LIMIT = 8  # items per subtask at each evaluation: small enough to cost seconds on a tiny model


def metric_logs(results: dict) -> dict[str, float]:
    """lm-eval's ``results`` table as ``lawbench/<task>/<metric>`` numbers (stderrs and text left out).

    >>> metric_logs({"results": {"t": {"alias": "t", "acc,none": 0.5, "acc_stderr,none": "N/A", "f1,strict": 1}}})
    {'lawbench/t/acc': 0.5, 'lawbench/t/f1,strict': 1.0}
    """
    logs = {}
    for task, table in sorted((results.get("results") or {}).items()):
        for key, value in table.items():
            metric, _, filt = key.rpartition(",")
            if not metric or "_stderr" in metric or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                logs[f"{PREFIX}{task}/{metric if filt == 'none' else key}"] = float(value)
    return logs


def eval_interval(eval_steps: float | None, max_steps: int) -> int | None:
    """Optimizer steps between evaluations: ``eval_steps``, or a share of ``max_steps`` when below 1.

    >>> eval_interval(3, 10), eval_interval(0.25, 10), eval_interval(None, 10)
    (3, 3, None)
    """
    if not eval_steps or eval_steps <= 0:
        return None
    return max(1, math.ceil(eval_steps * max_steps)) if eval_steps < 1 else int(eval_steps)


@dataclass
class _RandomState:
    """python / numpy / torch (CPU and CUDA) random states, to put back after lm-eval re-seeds them."""

    states: tuple

    @classmethod
    def save(cls) -> _RandomState:
        import numpy as np
        import torch

        cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        return cls((random.getstate(), np.random.get_state(), torch.get_rng_state(), cuda))

    def restore(self) -> None:
        import numpy as np
        import torch

        python, numpy_state, torch_state, cuda = self.states
        random.setstate(python)
        np.random.set_state(numpy_state)
        torch.set_rng_state(torch_state)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)


class LiveEvaluator:
    """``lawbench eval``'s evaluation of an already-loaded model: tasks loaded once, scored on each call."""

    def __init__(self, config, accelerator=None):
        from lawbench.evaluate import load_tasks, quiet_lm_eval

        self.config = config  # a lawbench.evaluate.EvalConfig
        self.accelerator = accelerator if accelerator is not None and accelerator.num_processes > 1 else None
        with quiet_lm_eval():
            self.tasks = load_tasks(config)  # read and validated before training starts

    def wrap(self, model, tokenizer):
        """The live model as lawbench's lm-eval model (a fresh wrapper: no prefix cache from older weights)."""
        from lawbench.models.hflm import LawbenchHFLM
        from lawbench.models.load import default_batch_size

        options = self.config.model
        lm = LawbenchHFLM(pretrained=model, tokenizer=tokenizer, backend="causal",
                          batch_size=default_batch_size(options, str(model.device)), max_length=options.max_length,
                          prefix_cache=options.prefix_cache)
        if self.accelerator is not None:  # lm-eval splits the items by rank and gathers them on rank 0
            lm._rank, lm._world_size = self.accelerator.process_index, self.accelerator.num_processes
            lm.accelerator = self.accelerator
        return lm

    def __call__(self, model, tokenizer) -> dict[str, float]:
        """Metrics of ``model`` now, as ``lawbench/...`` log entries (the same on every process)."""
        from lawbench.evaluate import evaluate, quiet_lm_eval

        started = time.perf_counter()
        was_training, randomness = model.training, _RandomState.save()
        chat = bool(getattr(tokenizer, "chat_template", None)) and self.config.model.chat_template
        try:
            with quiet_lm_eval():
                results = evaluate(self.config, self.tasks, self.wrap(model, tokenizer), None, chat)
        finally:
            randomness.restore()
            model.train(was_training)
        logs = metric_logs(results) if results else {}
        if self.accelerator is not None:  # only the main process gets lm-eval's results
            from accelerate.utils import broadcast_object_list

            logs = broadcast_object_list([logs], from_process=0)[0]
        logs[f"{PREFIX}eval_runtime"] = round(time.perf_counter() - started, 3)
        return logs


class LiveEvalCallback(TrainerCallback):
    """Evaluate every ``eval_steps`` optimizer steps and after the last one; hand the metrics to ``log_fn``.

    ``get_model`` returns the model to score at call time (a trainer's ``model`` can be replaced after
    the callback is made); without it the callback's ``model`` argument is used.
    """

    def __init__(self, evaluator: Callable[[Any, Any], dict], eval_steps: float, log_fn: Callable[[dict], None],
                 tokenizer=None, get_model: Callable[[], Any] | None = None):
        self.evaluator, self.eval_steps, self.log_fn = evaluator, eval_steps, log_fn
        self.tokenizer, self.get_model = tokenizer, get_model
        self.every: int | None = None
        self.last_step: int | None = None
        self.total_seconds = 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        self.every = eval_interval(self.eval_steps, state.max_steps)

    def run(self, step: int, model=None, tokenizer=None) -> dict:
        model = self.get_model() if self.get_model is not None else model
        logs = self.evaluator(model, self.tokenizer if self.tokenizer is not None else tokenizer)
        self.total_seconds += logs[f"{PREFIX}eval_runtime"]
        logs[f"{PREFIX}eval_runtime_total"] = round(self.total_seconds, 3)
        self.last_step = step
        self.log_fn(logs)
        return logs

    def on_step_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        # DefaultFlowCallback runs first and has already decided whether this is the last step.
        last = control.should_training_stop or (state.max_steps and state.global_step >= state.max_steps)
        if self.every and (state.global_step % self.every == 0 or last):
            self.run(state.global_step, model, processing_class)

    def on_train_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        if self.every and self.last_step != state.global_step:  # stopped early, between two evaluations
            self.run(state.global_step, model, processing_class)


# --------------------------------------------------------------------------- recipes
def enabled(ctx) -> bool:
    """Whether ``--eval_tasks`` and ``--eval_steps`` ask for scores while training."""
    return bool(ctx.recipe.eval_tasks) and bool(ctx.training.eval_steps)


def eval_config(ctx):
    """The :class:`~lawbench.evaluate.EvalConfig` the live evaluation runs (``--eval_*`` flags)."""
    from lawbench.evaluate import EvalConfig
    from lawbench.models.resolve import ModelOptions

    recipe = ctx.recipe
    limit = recipe.eval_limit if recipe.eval_limit is not None else DEFAULT_LIMIT
    return EvalConfig(model=ModelOptions(ctx.recipe.model, batch_size=recipe.eval_batch_size),
                      tasks=recipe.eval_tasks, data_dir=recipe.eval_data_dir or recipe.data_dir,
                      limit=int(limit) if limit >= 1 else limit, gen_kwargs=recipe.eval_gen_kwargs,
                      bootstrap_iters=0, use_cache=False, stage=ctx.stage, parent=ctx.parent)


def check_supported(training) -> None:
    """ZeRO-3 / FSDP shard the weights: item-split generation would hang (see the module docstring)."""
    from lawbench.errors import LawbenchError

    deepspeed = getattr(training, "deepspeed", None)
    zero3 = "zero3" in str(deepspeed) or (isinstance(deepspeed, dict)
                                           and (deepspeed.get("zero_optimization") or {}).get("stage") == 3)
    if zero3 or getattr(training, "fsdp", None):
        raise LawbenchError("--eval_steps (scores while training) runs on one device or DDP; with DeepSpeed ZeRO-3 "
                            "or FSDP drop --eval_steps and use --then-eval or `lawbench eval` on the checkpoints")


def callback_for(ctx, log_fn: Callable[[dict], None], accelerator=None, tokenizer=None, get_model=None):
    """A :class:`LiveEvalCallback` for this recipe run, or ``None`` when live evaluation is off."""
    if not enabled(ctx):
        return None
    check_supported(ctx.training)
    evaluator = LiveEvaluator(eval_config(ctx), accelerator)
    log.info("scoring %s every %s steps on %s items per subtask", ctx.recipe.eval_tasks, ctx.training.eval_steps,
             evaluator.config.limit)
    return LiveEvalCallback(evaluator, ctx.training.eval_steps, log_fn, tokenizer, get_model)


def attach(trainer, ctx, tokenizer=None):
    """Add the live evaluation to a transformers / TRL ``trainer`` (no-op when it is off)."""
    from transformers import Trainer

    # transformers' own Trainer.log: TRL's trainers override log() to fold their pending training metrics
    # (entropy, token accuracy, rewards...) into whatever is logged, which would move them to our entry.
    def log_fn(logs: dict) -> None:
        should_log = trainer.control.should_log
        Trainer.log(trainer, logs)
        # on_log clears should_log: the loss entry due at this step must still be written (not merged into the next)
        trainer.control.should_log = should_log

    # trainer.model: the unwrapped model (PEFT included; DDP's wrapper is trainer.model_wrapped)
    callback = callback_for(ctx, log_fn, trainer.accelerator, tokenizer, lambda: trainer.model)
    if callback is not None:
        trainer.add_callback(callback)
    return callback
