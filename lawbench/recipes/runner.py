"""``lawbench recipe <name>``: parse TRL-style arguments, load the model, train, record lineage, evaluate.

    lawbench recipe sft --model M --dataset D --output-dir OUT [--config YAML] [--then-eval] [TRL flags]

Arguments are parsed by TRL's ``TrlParser`` from three dataclasses: lawbench's
:class:`~lawbench.recipes.args.RecipeArguments`, the method's TRL config (``SFTConfig`` and friends:
every field is a flag) and TRL's ``ModelConfig`` (``--use_peft``, ``--lora_r``, ``--load_in_4bit``...).
A ``--config`` YAML sets defaults; the command line wins.

``OUT`` ends up holding the model (or the LoRA adapter), the tokenizer, ``trainer_state.json`` and
``lawbench_stage.json`` (stage, parent, input model, dataset fingerprint, resolved configuration).
With ``--then-eval`` the trained model is scored on the task suite and the run records stage and parent.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lawbench import __version__
from lawbench.errors import LawbenchError, ModelError, first_line
from lawbench.recipes.registry import BASE_STAGE, STAGE_FILE, get_recipe
from lawbench.utils.io import atomic_write_json

log = logging.getLogger(__name__)



@dataclass
class RecipeContext:
    """Everything a recipe's ``train`` needs, parsed and checked."""

    name: str
    recipe: Any  # RecipeArguments
    training: Any  # the method's TRL config
    model_args: Any  # trl.ModelConfig
    stage: str
    parent: str


def recipe_module(name: str):
    """The module that implements recipe ``name`` (see :mod:`lawbench.recipes.registry`)."""
    return importlib.import_module(get_recipe(name).module)


def make_parser(name: str):
    import torch
    from trl import ModelConfig, TrlParser

    from lawbench.recipes.args import RecipeArguments

    module = recipe_module(name)
    config_class = getattr(module, get_recipe(name).config_class)
    parser = TrlParser((RecipeArguments, config_class, ModelConfig), prog=f"lawbench recipe {name}")
    if not torch.cuda.is_available():
        # TRL turns bf16 on by default, which transformers refuses on a CPU; a flag or YAML can still set it.
        parser.set_defaults(bf16=False)
    return parser


def parse(name: str, argv: list[str]) -> RecipeContext:
    """Parse ``argv`` into a checked :class:`RecipeContext` (errors are one line)."""
    parser = make_parser(name)
    try:
        recipe, training, model_args = parser.parse_args_and_config(argv)
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
    stage = recipe.stage or name
    parent = recipe.parent or input_stage(model) or BASE_STAGE
    return RecipeContext(name, recipe, training, model_args, stage, parent)


def _cpu_defaults(training, model_args) -> None:
    import torch

    if torch.cuda.is_available():
        return
    if model_args.load_in_4bit or model_args.load_in_8bit:
        raise ModelError("--load_in_4bit / --load_in_8bit (QLoRA) need a CUDA GPU and none is visible; "
                         "drop the flag to train unquantised (add --use_peft for LoRA)")


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

    An adapter given as ``--model`` keeps training (``--use_peft``) or is merged into its base first.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer
    from trl import get_peft_config, get_quantization_config

    from lawbench.models.load import TOKENIZER_FILES
    from lawbench.models.resolve import ModelOptions, resolve_model

    model_args, training = ctx.model_args, ctx.training
    resolved = resolve_model(ModelOptions(ctx.recipe.model, trust_remote_code=training.trust_remote_code))
    if resolved.kind == "api":
        raise ModelError("recipes train local or hub models, not API models")
    dtype = model_args.dtype if model_args.dtype not in (None, "auto") else (
        "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float32")
    kwargs: dict[str, Any] = {"dtype": getattr(torch, dtype), "trust_remote_code": training.trust_remote_code}
    if model_args.model_revision and model_args.model_revision != "main":
        kwargs["revision"] = model_args.model_revision
    quantization = get_quantization_config(model_args)
    if quantization is not None:
        if importlib.util.find_spec("bitsandbytes") is None:
            raise ModelError("--load_in_4bit needs bitsandbytes: pip install 'lawbench[bnb]'")
        kwargs.update(quantization_config=quantization, device_map={"": torch.cuda.current_device()})
    tokenizer_dir = resolved.adapter if resolved.adapter and any(
        (Path(resolved.adapter) / f).is_file() for f in TOKENIZER_FILES) else resolved.path
    auto = AutoModelForSequenceClassification if for_sequence_classification else AutoModelForCausalLM
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, trust_remote_code=training.trust_remote_code)
        model = auto.from_pretrained(resolved.path, **({"num_labels": 1} if for_sequence_classification else {}),
                                     **kwargs)
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot load model '{resolved.path}': {first_line(err)}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if getattr(model.config, "pad_token_id", None) is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    from lawbench.models.load import tune_cpu_threads

    tune_cpu_threads(model)
    peft_config = get_peft_config(model_args)
    if resolved.adapter:
        # A policy's adapter cannot keep training as a reward model (no score head): merge it first.
        if model_args.use_peft and not for_sequence_classification:
            log.info("continuing to train the LoRA adapter %s (its own LoRA settings apply)", resolved.adapter)
            model = PeftModel.from_pretrained(model, resolved.adapter, is_trainable=True)
            peft_config = None
        else:
            model = merge_adapter(model, resolved.adapter)
    return model, tokenizer, peft_config


def merge_adapter(model, adapter: str):
    """``model`` with the LoRA adapter in ``adapter`` merged into its weights.

    The adapter's task type is ignored, so a policy's (causal-LM) adapter also merges into the same
    base loaded as a sequence classifier (the reward model's starting point).
    """
    from peft import PeftConfig, PeftModel

    config = PeftConfig.from_pretrained(adapter)
    config.task_type = None  # plain PeftModel: the causal-LM wrapper would demand generation methods
    return PeftModel.from_pretrained(model, adapter, config=config).merge_and_unload()


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
                   "model": _jsonable(ctx.model_args)},
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
        model=ModelOptions(str(out), trust_remote_code=ctx.training.trust_remote_code, batch_size=recipe.eval_batch_size),
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
