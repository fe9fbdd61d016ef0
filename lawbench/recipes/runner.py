"""``lawbench recipe <name>``: parse TRL-style arguments, load the model, train, record lineage, evaluate.

    lawbench recipe sft --model M --dataset D --output-dir OUT [--config YAML] [--then-eval] [TRL flags]

Arguments are parsed by TRL's ``TrlParser`` from three dataclasses: lawbench's
:class:`~lawbench.recipes.args.RecipeArguments`, the method's TRL config (``SFTConfig`` and friends:
every field is a flag) and TRL's ``ModelConfig`` (``--use_peft``, ``--lora_r``, ``--load_in_4bit``...).
A ``--config`` YAML sets defaults; the command line wins.

``OUT`` ends up holding the model (or the LoRA adapter), the tokenizer, ``trainer_state.json`` and
``lawbench_stage.json`` (stage, parent, input model, dataset fingerprint, resolved configuration).
With ``--then-eval`` the trained model is scored on the task suite and the run records stage and parent.

Recipes share what is here: :func:`load_model` (on :mod:`lawbench.models.load`), :func:`train_and_score`,
:func:`save` and :func:`resume_arg` around TRL's trainers, and :func:`write_stage_file`; no recipe imports
another. ``--eval_tasks T --eval_steps N`` scores the model on lawbench tasks while it trains
(:mod:`lawbench.recipes.live_eval`).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lawbench import __version__
from lawbench.errors import LawbenchError, first_line
from lawbench.recipes.registry import BASE_STAGE, STAGE_FILE, get_recipe
from lawbench.utils.io import atomic_write_json

log = logging.getLogger(__name__)
# Without a GPU: parse fails with this before any model loads (bitsandbytes quantises on CUDA only).
QLORA_NEEDS_CUDA = ("--load_in_4bit / --load_in_8bit (QLoRA) need a CUDA GPU and none is visible; "
                    "drop the flag to train unquantised (add --use_peft for LoRA)")


@dataclass
class RecipeContext:
    """Everything a recipe's ``train`` needs, parsed and checked."""

    name: str
    recipe: Any  # RecipeArguments
    training: Any  # the method's TRL config
    model_args: Any  # trl.ModelConfig
    stage: str
    parent: str
    peft: Any = None  # PeftArguments: --peft_type and the prompt-learning options


def recipe_module(name: str):
    """The module that implements recipe ``name`` (see :mod:`lawbench.recipes.registry`)."""
    return importlib.import_module(get_recipe(name).module)


def make_parser(name: str, for_help: bool = False):
    """TRL's parser for recipe ``name``; ``for_help`` groups its flags for ``--help-all`` (lawbench's first)."""
    import torch
    from trl import ModelConfig, TrlParser

    from lawbench.recipes.args import RecipeArguments
    from lawbench.recipes.peft_args import PeftArguments

    module = recipe_module(name)
    config_class = getattr(module, get_recipe(name).config_class)
    if for_help:
        classes = (_grouped(RecipeArguments, "lawbench options"),
                   _grouped(PeftArguments, "adapters (lawbench, with --use_peft)"),
                   _grouped(config_class, f"{config_class.__name__} (TRL / transformers training flags)"),
                   _grouped(ModelConfig, "ModelConfig (TRL: model loading, LoRA, QLoRA)"))
        parser = TrlParser(classes, prog=f"lawbench recipe {name}", formatter_class=_DefaultOnceFormatter)
    else:
        parser = TrlParser((RecipeArguments, config_class, ModelConfig, PeftArguments),
                           prog=f"lawbench recipe {name}")
    if not torch.cuda.is_available():
        # TRL turns bf16 on by default, which transformers refuses on a CPU; a flag or YAML can still set it.
        parser.set_defaults(bf16=False)
    return parser


def _grouped(cls, title: str):
    """``cls`` under a ``--help`` section of its own (HfArgumentParser reads ``_argument_group_name``)."""
    return type(cls.__name__, (cls,), {"_argument_group_name": title})


class _DefaultOnceFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds ``(default: X)`` only where the help does not already say it and X is not None."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default:" in text or action.default is None:
            return text
        return super()._get_help_string(action)


def full_help(name: str) -> str:
    """``lawbench recipe NAME --help-all``: every flag, lawbench's sections first."""
    return make_parser(name, for_help=True).format_help()


def parse(name: str, argv: list[str]) -> RecipeContext:
    """Parse ``argv`` into a checked :class:`RecipeContext` (errors are one line)."""
    parser = make_parser(name)
    try:
        recipe, training, model_args, peft = parser.parse_args_and_config(argv)
    except FileNotFoundError as err:
        raise LawbenchError(f"--config file not found: {err.filename}") from None
    except ValueError as err:  # unknown flags, YAML keys that match no field, bad values
        raise LawbenchError(f"lawbench recipe {name}: {first_line(err)}") from None
    model = recipe.model or model_args.model_name_or_path
    if not model:
        raise LawbenchError(f"lawbench recipe {name}: --model is required")
    recipe.model = model_args.model_name_or_path = model
    if not recipe.dataset:
        raise LawbenchError(f"lawbench recipe {name}: --dataset is required")
    if training.output_dir in (None, "", "trainer_output"):  # transformers' default: nobody chose it
        raise LawbenchError(f"lawbench recipe {name}: --output-dir is required")
    _cpu_defaults(training, model_args)
    _check_live_eval(name, recipe, training)
    if peft.peft_type != "lora":
        model_args.use_peft = True  # --peft_type prefix alone means "train a prefix adapter"
    stage = recipe.stage or name
    if recipe.then_eval:  # the stage names the eval run folder: checked before training, not after it
        from lawbench.utils.safe import check_name

        check_name(stage, "--stage")
    parent = recipe.parent or input_stage(model) or BASE_STAGE
    return RecipeContext(name, recipe, training, model_args, stage, parent, peft)


def _check_live_eval(name: str, recipe, training) -> None:
    """``--eval_tasks`` needs ``--eval_steps`` and a recipe whose model writes answers."""
    if not recipe.eval_tasks:
        return
    if not get_recipe(name).evaluated:  # e.g. a pipeline's defaults: for every stage, rm included
        log.warning("lawbench recipe %s: --eval_tasks ignored (the %s model scores answers, it does not write them)",
                    name, name)
        recipe.eval_tasks = None
        return
    if not training.eval_steps or training.eval_steps <= 0:
        raise LawbenchError(f"lawbench recipe {name}: --eval_tasks needs --eval_steps N (evaluate every N optimizer "
                            "steps; the end of training is always evaluated)")


def _cpu_defaults(training, model_args) -> None:
    from lawbench.models.load import require_cuda

    if model_args.load_in_4bit or model_args.load_in_8bit:
        require_cuda(QLORA_NEEDS_CUDA)


def input_stage(model: str) -> str | None:
    """The stage that produced ``model``, from its ``lawbench_stage.json``."""
    path = Path(model) / STAGE_FILE
    if not path.is_file():
        return None
    from lawbench.utils.io import read_json_strict

    return read_json_strict(path).get("stage")


# --------------------------------------------------------------------------- model
def load_model(ctx: RecipeContext, for_sequence_classification: bool = False):
    """Model and tokenizer to train, and the LoRA config to apply (``None`` when continuing an adapter).

    Loaded by :func:`lawbench.models.load.load_pretrained` in ``--dtype`` (``auto``: bf16 on a CUDA GPU that
    has it, else float32), 4-bit or 8-bit with ``--load_in_4bit`` / ``--load_in_8bit``. An adapter given as
    ``--model`` keeps training (``--use_peft``) or is merged into its base first.
    """
    from peft import PeftModel
    from trl import get_quantization_config

    from lawbench.models import load
    from lawbench.recipes.peft_args import build_peft_config

    model_args, training = ctx.model_args, ctx.training
    resolved = load.resolve_local_model(ctx.recipe.model, "recipes train local or hub models, not API models",
                                        trust_remote_code=training.trust_remote_code)
    quantization = get_quantization_config(model_args)
    if quantization is not None:
        load.check_4bit_available("--load_in_4bit", QLORA_NEEDS_CUDA)
    model, tokenizer = load.load_pretrained(
        resolved, dtype=load.choose_dtype(model_args.dtype, load.default_device(), training=True),
        trust_remote_code=training.trust_remote_code, quantization=quantization,
        revision=model_args.model_revision if model_args.model_revision != "main" else None,
        sequence_classifier=for_sequence_classification)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    load.tune_cpu_threads(model)
    peft_config = build_peft_config(ctx.name, ctx.peft, model_args, resolved.path, training)
    if resolved.adapter:
        # A policy's adapter cannot keep training as a reward model (no score head): merge it first.
        if model_args.use_peft and not for_sequence_classification:
            log.info("continuing to train the LoRA adapter %s (its own LoRA settings apply)", resolved.adapter)
            model = PeftModel.from_pretrained(model, resolved.adapter, is_trainable=True)
            peft_config = None
        else:
            model = load.merge_adapter(model, resolved.adapter)
    return model, tokenizer, peft_config


# --------------------------------------------------------------------------- around TRL's trainers
def save(trainer, tokenizer, ctx: RecipeContext) -> None:
    """The trained model (or adapter), its tokenizer and ``trainer_state.json`` in ``--output-dir``."""
    out = Path(ctx.training.output_dir)
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    trainer.save_state()  # OUT/trainer_state.json: the log history the leaderboard plots


def train_and_score(trainer, ctx: RecipeContext, tokenizer) -> None:
    """``trainer.train`` (resuming with ``--resume_from_checkpoint``), scored on lawbench tasks while it trains
    when ``--eval_tasks`` / ``--eval_steps`` ask for it (:mod:`lawbench.recipes.live_eval`)."""
    from lawbench.recipes import live_eval

    live_eval.attach(trainer, ctx, tokenizer)
    trainer.train(resume_from_checkpoint=resume_arg(ctx.training))


def resume_arg(training):
    """``--resume_from_checkpoint`` for ``trainer.train``: ``true`` / ``last`` mean the latest checkpoint.

    >>> from types import SimpleNamespace as Args
    >>> resume_arg(Args(resume_from_checkpoint="last")), resume_arg(Args(resume_from_checkpoint="out/checkpoint-5"))
    (True, 'out/checkpoint-5')
    """
    value = training.resume_from_checkpoint
    return True if isinstance(value, str) and value.lower() in ("true", "last") else value


# --------------------------------------------------------------------------- lineage and evaluation
def _jsonable(obj) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


def write_stage_file(ctx: RecipeContext, datasets: list[dict], extra: dict | None = None) -> Path:
    """``OUT/lawbench_stage.json``: what produced this checkpoint."""
    payload = {
        "stage": ctx.stage,
        "parent": ctx.parent,
        "recipe": ctx.name,
        "parent_model": ctx.recipe.model,
        "datasets": datasets,
        "config": {"recipe": _jsonable(ctx.recipe), "training": _jsonable(ctx.training.to_dict()),
                   "model": _jsonable(ctx.model_args), "peft": _jsonable(ctx.peft)},
        "lawbench_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **(extra or {}),
    }
    return atomic_write_json(Path(ctx.training.output_dir) / STAGE_FILE, payload)


def then_eval(ctx: RecipeContext):
    """Score the trained model on the task suite; the run carries stage and parent."""
    from lawbench.evaluate import EvalConfig, run_eval
    from lawbench.models.resolve import ModelOptions

    recipe = ctx.recipe
    out = Path(ctx.training.output_dir)
    config = EvalConfig(
        model=ModelOptions(str(out), trust_remote_code=ctx.training.trust_remote_code,
                           batch_size=recipe.eval_batch_size),
        tasks=recipe.tasks,
        data_dir=recipe.data_dir,
        limit=int(recipe.limit) if recipe.limit and recipe.limit >= 1 else recipe.limit,
        gen_kwargs=recipe.eval_gen_kwargs,
        output_dir=recipe.eval_output_dir or str(out / "eval"),
        run_name=ctx.stage,
        stage=ctx.stage,
        parent=ctx.parent,
        extra_manifest={"training": {"recipe": ctx.name, "checkpoint": str(out.resolve())}},
    )
    return run_eval(config)


def main(name: str, argv: list[str]) -> int:
    """Entry point of ``lawbench recipe NAME ...`` (also usable under ``accelerate launch -m lawbench``)."""
    ctx = parse(name, argv)
    module = recipe_module(name)
    if ctx.recipe.then_eval and not get_recipe(name).evaluated:
        raise LawbenchError(f"lawbench recipe {name}: --then-eval does not apply (the {name} model scores answers, "
                            "it does not generate them); drop the flag")
    module.train(ctx)
    if ctx.recipe.then_eval and _is_main_process():
        run = then_eval(ctx)
        from lawbench.report import print_summary

        print_summary(run.results)
        print(f"results: {run.results_path}")
    return 0


def _is_main_process() -> bool:
    import os

    return int(os.environ.get("RANK", "0")) == 0
