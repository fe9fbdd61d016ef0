"""lawbench's own recipe arguments, parsed by TRL's ``TrlParser`` next to the method's TRL config.

Every field becomes a flag (``--then_eval`` and ``--then-eval`` both work) and can be set in the
``--config`` YAML; the command line wins over the YAML.

(No ``from __future__ import annotations`` here: HfArgumentParser reads these type hints at run time.)
"""

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class RecipeArguments:
    """Arguments every lawbench recipe shares (data, lineage, evaluation hand-off)."""

    model: Optional[str] = field(
        default=None,
        metadata={"help": "Model to train: checkpoint folder, PEFT adapter folder or hub id "
                          "(same as --model_name_or_path)."},
    )
    dataset: Optional[list[str]] = field(
        default=None,
        metadata={"help": "Training data: files, folders or hub ids. pt mixtures: NAME=PATH:RATIO entries, "
                          "e.g. legal=laws.txt:0.7 general=wiki.jsonl:0.3."},
    )
    dataset_split: str = field(default="train", metadata={"help": "Split of a hub dataset."})
    max_records: Optional[int] = field(
        default=None, metadata={"help": "Use at most this many records of each dataset (quick runs)."}
    )
    articles: Optional[str] = field(
        default=None,
        metadata={"help": "LawShift-format data: the articles file (JSON {article id: text}) for the prompts."},
    )
    stage: Optional[str] = field(
        default=None, metadata={"help": "Stage name recorded for this run (default: the recipe)."})
    parent: Optional[str] = field(
        default=None,
        metadata={"help": "Parent stage (default: the input model's lawbench_stage.json stage, else 'base')."},
    )
    then_eval: bool = field(
        default=False, metadata={"help": "Evaluate the trained model on the task suite afterwards."})
    tasks: str = field(default="lawshift", metadata={"help": "--then-eval: comma-separated tasks or groups."})
    limit: Optional[float] = field(default=None, metadata={"help": "--then-eval: examples per subtask."})
    data_dir: Optional[str] = field(
        default=None, metadata={"help": "--then-eval: dataset root for the tasks (default: $LAWBENCH_DATA_DIR)."}
    )
    eval_gen_kwargs: Optional[str] = field(
        default=None,
        metadata={"help": "--then-eval and --eval_tasks: lm-eval generation settings, e.g. max_gen_toks=64."},
    )
    eval_output_dir: Optional[str] = field(
        default=None,
        metadata={"help": "--then-eval: where runs go (default: OUTPUT_DIR/eval); the run is named after the stage."},
    )
    eval_batch_size: Optional[int] = field(
        default=None, metadata={"help": "--then-eval and --eval_tasks: batch size (default: 1 on CPU, 8 on GPU)."})
    # Scores while training (lawbench.recipes.live_eval); the cadence is TrainingArguments' own --eval_steps.
    eval_tasks: Optional[str] = field(
        default=None,
        metadata={"help": "Score the model being trained on these lawbench tasks (comma-separated tasks or groups) "
                          "every --eval_steps optimizer steps and at the end; logged as lawbench/<task>/<metric>."},
    )
    eval_limit: Optional[float] = field(
        default=None,
        metadata={"help": "--eval_tasks: items per subtask at each evaluation, the first N as `lawbench eval --limit` "
                          "(default: 8; a fraction < 1 takes a share)."},
    )
    eval_data_dir: Optional[str] = field(
        default=None, metadata={"help": "--eval_tasks: dataset root (default: --data_dir, else $LAWBENCH_DATA_DIR)."}
    )
