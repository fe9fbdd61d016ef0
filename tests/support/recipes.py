"""Settings and checks shared by the recipe tests (tiny model, CPU, a few steps each)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file

# Small batches, a log line per step, no checkpoints mid-way, reproducible.
FAST = ["--per_device_train_batch_size", "4", "--logging_steps", "1", "--report_to", "none", "--save_strategy", "no",
        "--learning_rate", "5e-3", "--max_length", "512", "--seed", "0"]


def losses(out: Path) -> list[float]:
    """The training losses logged in ``out/trainer_state.json``."""
    history = json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))["log_history"]
    return [h["loss"] for h in history if "loss" in h]


def weights_changed(before: Path, after: Path) -> bool:
    a, b = load_file(before / "model.safetensors"), load_file(after / "model.safetensors")
    return any(not torch.equal(a[k], b[k]) for k in a)


def math_finite(value: float) -> bool:
    return value == value and abs(value) != float("inf")


def fake_sampler(correct_per_case):
    """A stand-in for rs-sft's sampler: ``correct_per_case[i]`` right answers for case i, the rest wrong."""
    def sample(model, tokenizer, prompts, config):
        answers = []
        for index, _ in enumerate(prompts):
            good = correct_per_case[index % len(correct_per_case)]
            answers.append(["<answer>容留他人吸毒 | 7</answer>"] * good +
                           ["<answer>盗窃 | 3</answer>"] * (config.rs_num_samples - good))
        return answers
    return sample
