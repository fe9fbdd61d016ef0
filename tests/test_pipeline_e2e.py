"""The whole pipeline on the tiny model, on CPU, minimal steps: every stage trained and evaluated."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from lawbench.evaluate import latest_results
from tests.support.sources import write_lawshift

STAGES = ["pt", "sft", "rs-sft", "dpo", "kto", "rm", "ppo", "grpo"]


def test_every_stage_trains_and_is_evaluated_then_resumes(tiny_model, tmp_path):
    data = tmp_path / "data"
    cases = write_lawshift(data, {"action_explicit_extend": 4}) / "action_explicit_extend" / "original.json"
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n\n".join(f"第{i}条 容留他人吸食毒品的，处三年以下有期徒刑。" for i in range(40)),
                      encoding="utf-8")
    few = {"max_steps": 2, "logging_steps": 1}
    rl = {"dataset": [str(cases)], "max_completion_length": 12, **few}
    config = {
        "eval": {"tasks": "lawshift_action_explicit_extend_original,lawshift_action_explicit_extend_poisoned",
                 "data_dir": str(data), "limit": 2, "gen_kwargs": "max_gen_toks=16"},
        "defaults": {"per_device_train_batch_size": 4, "report_to": "none", "save_strategy": "no", "seed": 0,
                     "gradient_checkpointing": False},
        "pt": {"dataset": [f"laws={corpus}:1"], "max_length": 64, **few},
        # enough SFT for the tiny model to answer the synthetic cases, so that rejection sampling accepts some
        "sft": {"dataset": [str(cases)], "max_steps": 30, "learning_rate": 1e-2},
        "rs-sft": {"dataset": [str(cases)], "rs_num_samples": 6, "rs_max_new_tokens": 16, "rs_temperature": 1.5,
                   **few},
        "kto": {"parent": "rs-sft", **few}, "dpo": few, "rm": few,
        "ppo": {**rl, "per_device_train_batch_size": 2, "num_mini_batches": 2,
                "reward_funcs": ["format", "charge", "term"],
                "reward_weights": [0.25, 0.25, 0.25, 0.25]},  # the rm reward model (first) and three scorers
        "grpo": {**rl, "num_generations": 2, "per_device_train_batch_size": 4, "reward_model": None},
    }
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "lawbench", "pipeline", "--model", str(tiny_model), "--stages", ",".join(STAGES),
           "--output-dir", str(out), "--config", str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:] + "".join(
        f"\n--- {p.name}\n" + p.read_text()[-1500:] for p in sorted((out / "logs").glob("*.log")))
    for stage in ["base", *STAGES]:
        if stage != "base":
            assert (out / "checkpoints" / stage / "lawbench_stage.json").is_file(), stage
        if stage != "rm":  # the reward model is trained for ppo, not evaluated
            results = json.loads(latest_results(out / "runs" / stage).read_text(encoding="utf-8"))
            assert results["lawbench"]["stage"] == stage
            assert "verdict_acc,none" in results["results"]["lawshift_action_explicit_extend_poisoned"]
    parents = {s: json.loads((out / "checkpoints" / s / "lawbench_stage.json").read_text())["parent"] for s in STAGES}
    assert parents == {"pt": "base", "sft": "pt", "rs-sft": "sft", "dpo": "rs-sft", "kto": "rs-sft", "rm": "kto",
                       "ppo": "kto", "grpo": "ppo"}
    assert not (out / "runs" / "rm").exists()
    ppo_state = json.loads((out / "checkpoints" / "ppo" / "trainer_state.json").read_text())
    assert any("kl" in h and "reward" in h for h in ppo_state["log_history"])
    # Interrupt grpo after the fact: remove its finished marker; the re-run redoes only that stage.
    (out / "checkpoints" / "grpo" / "lawbench_stage.json").unlink()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "base (skipped), pt (skipped), sft (skipped), rs-sft (skipped), dpo (skipped), kto (skipped), " \
           "rm (skipped), ppo (skipped), grpo (ran)" in again.stdout
    assert "pipeline: kto already done, skipped" in again.stderr  # a line per skipped stage as it happens
    # library warnings stay out of the stage logs; the debug logs keep the complete output
    assert "Warning: " not in (out / "logs" / "dpo.log").read_text(encoding="utf-8")
    assert "Warning: " in (out / "logs" / "dpo.debug.log").read_text(encoding="utf-8")
