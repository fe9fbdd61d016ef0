"""What ``grpo`` and ``ppo`` share: prompt rows with their gold columns, reward functions, reward models.

Prompt rows are ``{"prompt": [messages], "task": ..., <gold columns>}``; TRL hands every column but
``prompt`` to the reward functions as keyword arguments, and lawbench's PPO does the same.

======================  ==========  ==================================================================
records (``--dataset``)  ``task``   gold columns
======================  ==========  ==================================================================
LawShift cases           judgment   ``charge``, ``prison_time`` (the evaluation prompt: instructions + case)
LawBench 3-4 / 3-5       term       ``prison_time`` (from ``answer`` = ``刑期:N个月``)
multiple choice          choice     ``answer`` (``question``, ``A``-``D``, ``answer``: the legal_mmlu schema)
``prompt`` (+ fields)    field      every other field of the record, as given (``prompt``: text or messages)
======================  ==========  ==================================================================

Reward functions (``--reward_funcs``) are names from :data:`lawbench.metrics.rewards.REWARD_FUNCS`
(``format``, ``charge``, ``term``, ``choice``) or dotted import paths of your own
``(completions, **kwargs) -> list[float]`` functions (``my_pkg.rewards.brevity``), as in TRL's scripts.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from lawbench.errors import DataError, LawbenchError, first_line
from lawbench.metrics.rewards import REWARD_FUNCS, RewardFunc
from lawbench.recipes.data import load_records

log = logging.getLogger(__name__)
_TASK_OF_CASE = {"lawshift": "judgment", "lawbench_term": "term"}


# --------------------------------------------------------------------------- prompts
def choice_messages(record: dict) -> list[dict]:
    """A multiple-choice question as the chat the generative ``*_gen`` tasks send."""
    multi = len(record["answer"]) > 1
    head = "以下是多项选择题，请选出其中所有正确的答案。" if multi else "以下是单项选择题，请选出其中的正确答案。"
    options = "".join(f"\n{letter}. {record[letter]}" for letter in "ABCD")
    return [{"role": "user", "content": f"{head}\n\n{str(record['question']).strip()}{options}\n答案："}]


def _choice_row(record: dict, where: str) -> dict:
    answer = "".join(sorted(str(record["answer"]).strip().upper()))
    if not answer or any(letter not in "ABCD" for letter in answer):
        raise DataError(f"{where}: 'answer' must be option letters A-D, got {str(record['answer'])[:20]!r}")
    record = {**record, "answer": answer}
    return {"prompt": choice_messages(record), "task": "choice", "answer": answer}


def _prompt_row(record: dict, where: str) -> dict:
    prompt = record["prompt"]
    if isinstance(prompt, str) and prompt.strip():
        messages = [{"role": "user", "content": prompt}]
    elif isinstance(prompt, list) and prompt and all(
            isinstance(m, dict) and m.get("role") in ("system", "user", "assistant")
            and isinstance(m.get("content"), str) for m in prompt) and prompt[-1]["role"] == "user":
        messages = prompt
    else:
        raise DataError(f"{where}: 'prompt' must be text or a list of {{role, content}} messages "
                        "ending with a user turn")
    return {**{k: v for k, v in record.items() if k != "prompt"}, "prompt": messages}


def load_prompt_rows(recipe) -> tuple[list[dict], list[dict]]:
    """Every ``--dataset`` record as a prompt row, plus a description of each dataset for the stage file."""
    from lawbench.recipes.cases import source_cases

    rows: list[dict] = []
    described = []
    for source in recipe.dataset:
        loaded = load_records(source, recipe.dataset_split, recipe.max_records)
        if loaded.format in ("lawshift", "lawbench"):
            for case in source_cases(loaded, recipe):
                gold = case.gold
                rows.append({"prompt": case.messages, "task": _TASK_OF_CASE[case.kind], "charge": gold.get("charge"),
                             "prison_time": gold.get("prison_time", gold.get("months")), "answer": None})
        elif loaded.format == "choice":
            rows += [_choice_row(r, f"{source} record {i}") for i, r in enumerate(loaded.records)]
        elif loaded.format in ("prompt", "prompt_response"):
            rows += [_prompt_row(r, f"{source} record {i}") for i, r in enumerate(loaded.records)]
        else:
            raise DataError(f"{source}: RL recipes need prompts: LawShift cases, LawBench 3-4/3-5 records, "
                            "multiple-choice questions (question, A-D, answer) or 'prompt' records; "
                            f"got {loaded.format} records")
        described.append({"source": source, "format": loaded.format, "records": len(loaded.records),
                          "fingerprint": loaded.fingerprint})
    return rows, described


def columns_of(rows: list[dict]) -> dict[str, list]:
    """Rows as columns over the union of their keys (missing values are ``None``)."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return {k: [row.get(k) for row in rows] for k in keys}


def rows_dataset(rows: list[dict]):
    """A ``datasets.Dataset`` of the rows (every key a column)."""
    import datasets

    try:
        return datasets.Dataset.from_dict(columns_of(rows))
    except (TypeError, ValueError) as err:  # pyarrow refuses a column that mixes types across datasets
        raise DataError(f"the prompt datasets disagree on a field's type ({first_line(err, 160)}); "
                        "give each field one type in every --dataset") from None


# --------------------------------------------------------------------------- rewards
def reward_functions(names: list[str]) -> list[RewardFunc]:
    """Registered rewards by name, or ``module.function`` import paths (the current directory is importable)."""
    import sys

    funcs = []
    for name in names:
        if name in REWARD_FUNCS:
            funcs.append(REWARD_FUNCS[name])
            continue
        module_name, _, attr = name.rpartition(".")
        if not module_name:
            raise LawbenchError(f"unknown reward '{name}'; choose from {', '.join(REWARD_FUNCS)} "
                                "or give module.function")
        if str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        try:
            func = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as err:
            raise LawbenchError(f"cannot import reward function '{name}': {err}") from None
        if not callable(func):
            raise LawbenchError(f"reward '{name}' is not a function")
        funcs.append(func)
    return funcs


def check_rewards_apply(names: list[str], rows: list[dict]) -> None:
    """Fail before training when some rows get no reward at all from lawbench's reward functions.

    Each built-in reward returns ``None`` for rows it does not apply to; a row where all of them do
    (say ``--reward_funcs choice`` on LawShift cases) would train on nothing.
    """
    if not names or any(name not in REWARD_FUNCS for name in names):
        return  # custom functions may apply anywhere: trust them
    columns = {k: v for k, v in columns_of(rows).items() if k != "prompt"}
    probes = [REWARD_FUNCS[name]([""] * len(rows), **columns) for name in names]
    for index, row_probes in enumerate(zip(*probes)):
        if all(p is None for p in row_probes):
            row = rows[index]
            raise LawbenchError(f"no reward in --reward_funcs {' '.join(names)} applies to row {index} "
                                f"(task {row.get('task')!r}): add choice for multiple-choice data, "
                                "charge/term for cases")


def load_reward_model(path: str, trust_remote_code: bool = False, dtype: Any = None):
    """A sequence-classification reward model and its tokenizer, frozen (a LoRA adapter is merged into its base)."""
    import torch

    from lawbench.models.load import load_pretrained, resolve_local_model

    resolved = resolve_local_model(path, "--reward_model must be a local or hub sequence-classification model",
                                   trust_remote_code=trust_remote_code)
    model, tokenizer = load_pretrained(resolved, dtype=dtype or torch.float32, trust_remote_code=trust_remote_code,
                                       sequence_classifier=True, error_label=f"reward model '{path}'")
    if resolved.adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, resolved.adapter).merge_and_unload()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id  # the score is read at the last non-pad token
    return model.eval().requires_grad_(False), tokenizer


def reward_model_texts(tokenizer, prompts: list, completions: list[str]) -> list[str]:
    """Prompt + completion as the reward model reads them: its chat template over the whole conversation."""
    from lawbench.recipes.conversation import PLAIN_TEMPLATE

    texts = []
    for prompt, completion in zip(prompts, completions):
        if isinstance(prompt, str):
            texts.append(prompt + completion)
        else:
            chat = prompt + [{"role": "assistant", "content": completion}]
            texts.append(tokenizer.apply_chat_template(chat, tokenize=False,
                                                       chat_template=tokenizer.chat_template or PLAIN_TEMPLATE))
    return texts


def rewards_described(names: list[str], weights: list[float] | None, reward_model: str | None) -> dict:
    """The reward settings for ``lawbench_stage.json``."""
    sources = (["reward_model"] if reward_model else []) + list(names)
    return {"reward_funcs": sources, "reward_weights": list(weights) if weights else [1.0] * len(sources),
            "reward_model": reward_model}


DEFAULT_REWARD_FUNCS = ("format", "charge", "term")


def validate_reward_settings(config) -> None:
    """``__post_init__`` of the GRPO and PPO configs: default rewards, weights that match (``ValueError`` otherwise).

    Without ``--reward_funcs`` the rewards are ``format charge term``, or the reward model alone when
    ``--reward_model`` is given.
    """
    if config.reward_funcs is None:
        config.reward_funcs = [] if config.reward_model else list(DEFAULT_REWARD_FUNCS)
    names = list(config.reward_funcs)
    unknown = [name for name in names if name not in REWARD_FUNCS and "." not in name]
    if unknown:
        raise ValueError(f"unknown reward '{unknown[0]}'; choose from {', '.join(REWARD_FUNCS)} "
                         "or give module.function")
    sources = len(names) + (1 if config.reward_model else 0)
    if sources == 0:
        raise ValueError("no reward: give --reward_funcs and/or --reward_model")
    if config.reward_weights is not None and len(config.reward_weights) != sources:
        raise ValueError(f"--reward_weights has {len(config.reward_weights)} values for {sources} reward sources "
                         f"({'reward_model + ' if config.reward_model else ''}{' '.join(names)})")

