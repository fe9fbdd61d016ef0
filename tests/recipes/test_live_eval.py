"""Scores while training (``--eval_tasks --eval_steps``): equal to ``lawbench eval`` on the saved checkpoints,
logged by every recipe, wired through the runner and the pipeline."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from lawbench.errors import LawbenchError
from lawbench.recipes import live_eval, runner
from tests.support.recipes import fake_sampler
from tests.support.sources import write_lawshift

TASKS = "lawshift_term_up_original"


@pytest.fixture()
def cases(tmp_path) -> Path:
    return write_lawshift(tmp_path, {"term_up": 4}) / "term_up" / "original.json"


def live_entries(out: Path) -> dict[int, dict]:
    """``{step: {"<task>/<metric>": value}}`` of the lawbench entries in ``out/trainer_state.json``."""
    history = json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))["log_history"]
    return {h["step"]: {k[len("lawbench/"):]: v for k, v in h.items() if k.startswith("lawbench/lawshift")}
            for h in history if "lawbench/eval_runtime" in h}


def test_sft_live_scores_equal_lawbench_eval_on_the_saved_checkpoints(tiny_model, cases, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from lawbench.evaluate import EvalConfig, run_eval
    from lawbench.models.resolve import ModelOptions

    out, data = tmp_path / "sft", str(cases.parents[2])
    runner.main("sft", ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(out),
                        "--max_steps", "4", "--per_device_train_batch_size", "4", "--logging_steps", "1",
                        "--learning_rate", "5e-3", "--max_length", "512", "--seed", "0", "--save_steps", "2",
                        "--report_to", "tensorboard",
                        "--eval_tasks", TASKS, "--eval_steps", "2", "--eval_limit", "3", "--eval_data_dir", data,
                        "--eval_gen_kwargs", "max_gen_toks=16"])
    live = live_entries(out)
    assert sorted(live) == [2, 4]
    for step in (2, 4):  # the same items, greedy, through `lawbench eval` on the checkpoint saved at that step
        run = run_eval(EvalConfig(model=ModelOptions(str(out / f"checkpoint-{step}")), tasks=TASKS, data_dir=data,
                                  limit=3, gen_kwargs="max_gen_toks=16", output_dir=str(tmp_path / "runs"),
                                  run_name=f"step{step}", use_cache=False, bootstrap_iters=0))
        saved = {f"{task}/{key.split(',')[0]}": value for task, table in run.results["results"].items()
                 for key, value in table.items() if "," in key and "_stderr" not in key}
        assert live[step] == saved, step
    assert live[2] != live[4]  # the live weights, not the starting or the final model, were scored each time
    history = json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))["log_history"]
    assert all("entropy" in h for h in history if "loss" in h)  # TRL's own metrics stay on the loss entries
    assert [h["step"] for h in history if "loss" in h] == [1, 2, 3, 4]  # every step's loss still logged on time
    assert all(h["lawbench/eval_runtime"] > 0 for h in history if "lawbench/eval_runtime" in h)
    events = EventAccumulator(str(next(out.rglob("events.out.tfevents.*")).parent)).Reload()  # OUT/runs/<date>
    # transformers' TensorBoard (and W&B) callbacks put training-time logs under train/
    assert "train/lawbench/lawshift_term_up_original/charge_acc" in events.Tags()["scalars"]


LIVE = ["--eval_tasks", "lawshift_term_up_original", "--eval_steps", "1", "--eval_limit", "1",
        "--eval_gen_kwargs", "max_gen_toks=4"]
SMALL = ["--per_device_train_batch_size", "4", "--logging_steps", "1", "--report_to", "none", "--save_strategy", "no",
         "--seed", "0", "--max_steps", "1"]  # the cadence is tested on the callback below
LORA = ["--use_peft", "--lora_r", "4", "--lora_target_modules", "q_proj", "v_proj"]
RL = ["--per_device_train_batch_size", "2", "--max_completion_length", "4", *LORA]


@pytest.mark.parametrize("recipe", ["pt", "rs-sft", "dpo", "kto", "grpo", "ppo"])
def test_every_recipe_scores_while_training(tiny_model, cases, tmp_path, monkeypatch, recipe):
    pairs, texts = tmp_path / "pairs.jsonl", tmp_path / "texts.jsonl"
    pairs.write_text("".join(json.dumps({"prompt": f"问题{i}", "chosen": "<answer>容留他人吸毒 | 7</answer>",
                                         "rejected": "<answer>盗窃 | 3</answer>"}, ensure_ascii=False) + "\n"
                             for i in range(8)), encoding="utf-8")
    texts.write_text(json.dumps({"text": "法律条文" * 20}, ensure_ascii=False) + "\n", encoding="utf-8")
    monkeypatch.setattr(runner.recipe_module("rs-sft"), "sample_hf", fake_sampler([2, 1, 0, 1]))
    extra = {"pt": ["--dataset", str(texts), "--max_length", "32"],
             "rs-sft": ["--dataset", str(cases), "--rs_num_samples", "2"],
             "dpo": ["--dataset", str(pairs)], "kto": ["--dataset", str(pairs)],
             "grpo": ["--dataset", str(cases), "--num_generations", "2", *RL],
             "ppo": ["--dataset", str(cases), *RL]}[recipe]
    out = tmp_path / recipe
    runner.main(recipe, ["--model", str(tiny_model), "--output-dir", str(out), *SMALL, *extra, *LIVE,
                         "--eval_data_dir", str(cases.parents[2])])
    live = live_entries(out)
    assert sorted(live) == [1]
    assert all(set(v) >= {"lawshift_term_up_original/charge_acc", "lawshift_term_up_original/parse_rate"}
               for v in live.values())


# --------------------------------------------------------------------------- the callback, on its own
class FakeEvaluator:
    def __init__(self):
        self.calls = []

    def __call__(self, model, tokenizer):
        self.calls.append(model)
        return {"lawbench/t/acc": 0.5, "lawbench/eval_runtime": 1.0}


def drive(callback, max_steps: int, stop_at: int | None = None) -> list[int]:
    """Run the callback through a training loop of ``max_steps``; returns the steps that were logged."""
    from transformers import TrainerControl, TrainerState

    logged = []
    callback.log_fn = lambda logs: logged.append((state.global_step, logs))
    state, control = TrainerState(max_steps=max_steps), TrainerControl()
    callback.on_train_begin(None, state, control)
    for step in range(1, max_steps + 1):
        state.global_step = step
        control.should_training_stop = step == max_steps
        callback.on_step_end(None, state, control, model="m")
        if step == stop_at:
            break
    callback.on_train_end(None, state, control, model="m")
    assert all(logs["lawbench/eval_runtime_total"] > 0 for _, logs in logged)
    return [step for step, _ in logged]


def test_callback_cadence_end_of_training_and_ratios():
    assert drive(live_eval.LiveEvalCallback(FakeEvaluator(), 3, None), 7) == [3, 6, 7]
    assert drive(live_eval.LiveEvalCallback(FakeEvaluator(), 3, None), 6) == [3, 6]  # the end is not scored twice
    assert drive(live_eval.LiveEvalCallback(FakeEvaluator(), 0.5, None), 4) == [2, 4]  # a share of the run
    assert drive(live_eval.LiveEvalCallback(FakeEvaluator(), 3, None), 10, stop_at=4) == [3, 4]  # stopped early
    evaluator = FakeEvaluator()
    drive(live_eval.LiveEvalCallback(evaluator, 2, None, get_model=lambda: "live"), 2)
    assert evaluator.calls == ["live"]


def test_random_state_is_put_back_after_lm_eval_reseeds():
    import numpy as np
    import torch

    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    saved = live_eval._RandomState.save()
    random.seed(1234)  # what simple_evaluate does
    np.random.seed(1234)
    torch.manual_seed(1234)
    saved.restore()
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_wrap_uses_the_live_model_and_splits_items_across_processes(tiny_model, cases):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model),
                           LoraConfig(r=4, target_modules=["q_proj"]))
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    ctx = SimpleNamespace(recipe=SimpleNamespace(model=str(tiny_model), eval_tasks="lawshift_term_up_original",
                                                 eval_limit=None, eval_data_dir=str(cases.parents[2]),
                                                 data_dir=None, eval_gen_kwargs=None, eval_batch_size=None),
                          stage="sft", parent="base")
    config = live_eval.eval_config(ctx)
    assert (config.limit, config.bootstrap_iters, config.use_cache) == (live_eval.DEFAULT_LIMIT, 0, False)
    accelerator = SimpleNamespace(num_processes=2, process_index=1)
    lm = live_eval.LiveEvaluator(config, accelerator).wrap(model, tokenizer)
    assert lm._model is model  # the adapter in training answers (no merge, no copy)
    assert (lm.rank, lm.world_size, lm.accelerator) == (1, 2, accelerator)  # lm-eval splits and gathers by rank
    assert live_eval.LiveEvaluator(config).wrap(model, tokenizer).world_size == 1


# --------------------------------------------------------------------------- flags, runner and pipeline
def test_eval_steps_is_transformers_field_and_does_not_start_its_eval_loop(tiny_model, cases, tmp_path):
    base = ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(tmp_path / "o")]
    ctx = runner.parse("sft", [*base, "--eval_tasks", "lawshift", "--eval_steps", "5"])
    assert (ctx.training.eval_steps, ctx.training.eval_strategy, ctx.training.do_eval) == (5, "no", False)
    with pytest.raises(LawbenchError, match="--eval_tasks needs --eval_steps N"):
        runner.parse("sft", [*base, "--eval_tasks", "lawshift"])
    rm = runner.parse("rm", [*base, "--eval_tasks", "lawshift", "--eval_steps", "5"])
    assert rm.recipe.eval_tasks is None  # a reward model writes no answers: ignored (pipeline defaults reach it)
    assert live_eval.callback_for(rm, print) is None


def test_pipeline_passes_live_eval_flags_to_evaluated_stages(tmp_path, monkeypatch):
    from lawbench import pipeline

    commands = []
    monkeypatch.setattr(pipeline, "_run", lambda cmd, log_file, what: commands.append(cmd))
    plan = pipeline.make_plan("m", "sft,rm,ppo", str(tmp_path), {
        "eval": {"tasks": "lawshift", "steps": 5, "live_limit": 2},
        "sft": {"dataset": ["d.json"]}, "rm": {"dataset": ["p.jsonl"]},
        "ppo": {"dataset": ["d.json"], "eval_tasks": "legal_mmlu"}})
    pipeline.run_pipeline(plan)
    by_recipe = {cmd[cmd.index("recipe") + 1]: cmd for cmd in commands if "recipe" in cmd}

    def flag(cmd, name):
        return cmd[cmd.index(name) + 1] if name in cmd else None

    sft, rm, ppo = by_recipe["sft"], by_recipe["rm"], by_recipe["ppo"]
    assert (flag(sft, "--eval_steps"), flag(sft, "--eval_tasks"), flag(sft, "--eval_limit")) == ("5", "lawshift", "2")
    assert flag(rm, "--eval_steps") is None and flag(rm, "--eval_tasks") is None
    assert flag(ppo, "--eval_tasks") == "legal_mmlu" and ppo.count("--eval_tasks") == 1
