"""``lawbench recipe NAME --help``: lawbench's own options first, in well under a second.

TRL's parser knows every flag of a recipe (~900 lines of help) but building it imports transformers
and TRL, which takes seconds. The short help is built from what lawbench declares without importing
them: :class:`~lawbench.recipes.args.RecipeArguments`, the recipe's own config fields (read from its
module's source with :mod:`ast`, since importing the module imports TRL), the PEFT options, and a short
list of the training flags people reach for first. ``--help-all`` prints TRL's full parser, grouped
(:func:`lawbench.recipes.runner.full_help`).

Example:
    >>> text = short_help("rs-sft")
    >>> text.index("--then_eval") < text.index("--rs_num_samples") < text.index("--learning_rate")
    True
    >>> "(default: None)" in text, "--help-all" in text
    (False, True)
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib.util
from pathlib import Path

from lawbench.recipes.args import RecipeArguments
from lawbench.recipes.peft_args import PeftArguments
from lawbench.recipes.registry import get_recipe

# The training flags asked for first (TRL / transformers / TRL's ModelConfig); their defaults differ per
# method, so only --help-all shows them. tests/recipes check that each is a real flag of every recipe.
COMMON_TRAINING_FLAGS: tuple[tuple[str, str], ...] = (
    ("--output_dir", "where the model, tokenizer, trainer_state.json and lawbench_stage.json go (required)"),
    ("--config", "YAML file of flag values; the command line wins"),
    ("--num_train_epochs", "passes over the training data"),
    ("--max_steps", "optimizer steps (overrides --num_train_epochs when > 0)"),
    ("--learning_rate", "peak learning rate"),
    ("--per_device_train_batch_size", "examples per device per step"),
    ("--gradient_accumulation_steps", "steps summed before each optimizer update"),
    ("--logging_steps", "log the loss every N steps (trainer_state.json)"),
    ("--save_steps", "write a checkpoint every N steps"),
    ("--eval_steps", "with --eval_tasks: score the model every N steps"),
    ("--resume_from_checkpoint", "continue an interrupted run (`last` or a checkpoint folder)"),
    ("--seed", "random seed"),
    ("--use_peft", "switch: train a LoRA adapter instead of every weight"),
    ("--lora_r", "LoRA rank"),
    ("--lora_alpha", "LoRA scaling"),
    ("--lora_target_modules", "modules that get LoRA matrices"),
    ("--load_in_4bit", "switch: QLoRA, the base loaded in 4 bits (CUDA only)"),
)


def _default_text(default) -> str:
    if default is None or default is dataclasses.MISSING or default is False or default == "":
        return ""
    return f" (default: {default})"


def _add(group, flag: str, text: str, default=None) -> None:
    if default is not None and "default:" not in text:
        text += _default_text(default)
    if isinstance(default, bool):
        group.add_argument(flag, help=text, action="store_true")
    else:
        group.add_argument(flag, help=text, metavar=flag.lstrip("-").upper())


def _add_dataclass(group, cls) -> None:
    for f in dataclasses.fields(cls):
        _add(group, f"--{f.name}", f.metadata.get("help", ""), f.default)


# --------------------------------------------------------------------------- a recipe's own fields, from source
def _class_fields(module: str, class_name: str, seen: set) -> list[tuple[str, str, object]]:
    """(name, help, default) of the ``field(metadata={"help": ...})`` fields of ``module.class_name`` and of
    its bases defined in lawbench, without importing anything."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or (module, class_name) in seen:
        return []
    seen.add((module, class_name))
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    lawbench_names = {alias.asname or alias.name: node.module for node in tree.body
                      if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lawbench.")
                      for alias in node.names}
    found: list[tuple[str, str, object]] = []
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name == class_name):
            continue
        for base in node.bases:
            if isinstance(base, ast.Name):
                source = lawbench_names.get(base.id) or (module if _defines(tree, base.id) else None)
                if source:
                    found += _class_fields(source, base.id, seen)
        for item in node.body:
            entry = _field_entry(item)
            if entry:
                found.append(entry)
    return found


def _defines(tree: ast.Module, name: str) -> bool:
    return any(isinstance(node, ast.ClassDef) and node.name == name for node in tree.body)


def _field_entry(item) -> tuple[str, str, object] | None:
    if not isinstance(item, ast.AnnAssign) or not isinstance(item.target, ast.Name):
        return None
    if not isinstance(item.value, ast.Call):
        return None
    keywords = {k.arg: k.value for k in item.value.keywords}
    metadata = keywords.get("metadata")
    if not isinstance(metadata, ast.Dict):
        return None
    texts = {ast.literal_eval(k): v for k, v in zip(metadata.keys, metadata.values) if isinstance(k, ast.Constant)}
    if "help" not in texts:
        return None
    try:
        default = ast.literal_eval(keywords["default"]) if "default" in keywords else None
    except ValueError:  # an expression: show it as written
        default = ast.unparse(keywords["default"])
    return item.target.id, ast.literal_eval(texts["help"]), default


def recipe_own_fields(name: str) -> list[tuple[str, str, object]]:
    """The fields lawbench declares on recipe ``name``'s config class (empty when it is TRL's own class).

    >>> [f[0] for f in recipe_own_fields("rs-sft")][:2]
    ['rs_num_samples', 'rs_temperature']
    >>> recipe_own_fields("sft")
    []
    """
    recipe = get_recipe(name)
    return _class_fields(recipe.module, recipe.config_class, set())


# --------------------------------------------------------------------------- the help text
def short_help(name: str) -> str:
    """The text of ``lawbench recipe NAME --help``."""
    recipe = get_recipe(name)
    parser = argparse.ArgumentParser(
        prog=f"lawbench recipe {name}", add_help=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage=f"lawbench recipe {name} --model M --dataset D --output-dir OUT [--config YAML] [--then-eval] "
              "[flags]",
        description=f"{recipe.summary}.\nFlags take dashes or underscores (--output-dir = --output_dir).",
        epilog=f"Every flag, with TRL's and transformers' defaults: lawbench recipe {name} --help-all\n"
               "Docs: docs/recipes.md.")
    _add_dataclass(parser.add_argument_group("lawbench options"), RecipeArguments)
    own = recipe_own_fields(name)
    if own:
        group = parser.add_argument_group(f"{name} options")
        for field_name, text, default in own:
            _add(group, f"--{field_name}", text, default)
    _add_dataclass(parser.add_argument_group("adapters (with --use_peft)"), PeftArguments)
    common = parser.add_argument_group("common TRL / transformers flags (defaults: --help-all)")
    declared = {f"--{f[0]}" for f in own}
    for flag, text in COMMON_TRAINING_FLAGS:
        if flag not in declared:
            _add(common, flag, text, False if text.startswith("switch: ") else None)
    return parser.format_help()
