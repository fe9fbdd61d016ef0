"""``lawbench demo``: the whole loop, offline, on a CPU, in a few minutes.

    lawbench demo --out demo-out            # project-written sample data
    lawbench demo --out demo-out --data-dir ../shared/data   # the real datasets instead

1. ``lawbench model init``: a tiny Qwen2-style model with its own tokenizer (``OUT/base-model``);
2. ``lawbench pipeline`` over every stage — base eval → pt → sft → rs-sft, then dpo, kto, rm, ppo and
   grpo each from rs-sft — every stage but rm evaluated on a small suite (LawShift statute-change
   scenarios and multiple-choice questions). PPO and GRPO learn a statute change: theft cases under
   a law that now demands ten years or more, rewarded by lawbench's scorers (answer format, charge,
   prison term against the new range; PPO also by the rm reward model). The model starts with the old
   statute's terms, so the logged rewards rise from about 0.1 to about 0.3 within the demo's steps
   (bench/results/demo_timing.json);
3. ``lawbench leaderboard build`` into ``OUT/site/index.html``.

Layout (DESIGN.md): ``OUT/checkpoints/<stage>/``, ``OUT/runs/<stage>/``, ``OUT/site/index.html``, plus
``OUT/demo-data/`` (the sample data), ``OUT/pipeline.yaml`` (the configuration used) and
``OUT/logs/``. Re-running the same command resumes: finished stages are skipped.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import yaml

from lawbench.recipes.registry import BASE_STAGE, RECIPE_NAMES, evaluated_stages
from lawbench.utils.io import atomic_write_json, atomic_write_text

log = logging.getLogger(__name__)

STAGES = RECIPE_NAMES  # every recipe, in the registry's order
# Training flags for every stage: tiny batches, no checkpoints mid-way, logs for the site's curves, and
# no gradient checkpointing (TRL's default trades compute for memory; the tiny model needs no memory).
COMMON = {"per_device_train_batch_size": 8, "logging_steps": 2, "report_to": "none", "save_strategy": "no",
          "seed": 0, "gradient_checkpointing": False}
RL_REWARDS = ["format", "charge", "term"]
LIVE_SCENARIO = {False: "term_up", True: "action_explicit_extend"}  # scored while training (sample / real data)


def demo_config(data: Path, real: bool) -> dict:
    """The pipeline configuration of the demo (written to ``OUT/pipeline.yaml``)."""
    if real:
        scenario = data / "lawshift" / "action_explicit_extend"
        cases, articles = str(scenario / "original.json"), str(scenario / "articles_original.json")
        corpus = f"laws={data / 'lawgpt_zh' / 'core_law_articles_9k.json'}:1"
        tasks, eval_data = "lawshift,cmmlu_legal_college_law", str(data)
        rl = {"dataset": [cases], "articles": articles}
    else:
        cases, articles = str(data / "train" / "cases.json"), str(data / "train" / "articles.json")
        corpus = f"laws={data / 'train' / 'corpus.txt'}:1"
        tasks, eval_data = "lawshift,cmmlu_legal_college_law", str(data / "data")
        # RL teaches a statute change: theft now carries ten years or more (see demo/data.py)
        rl = {"dataset": [str(data / "train" / "rl_statute_change.jsonl")]}
    rl.update({"max_records": 24, "reward_funcs": RL_REWARDS, "max_completion_length": 24, "parent": "rs-sft"})
    return {
        # steps 0.5: every stage is also scored half-way and at its end while it trains, on 2 cases of one
        # scenario (about a second each), so the site's Charts view has score-vs-step curves
        "eval": {"tasks": tasks, "data_dir": eval_data, "limit": 8, "gen_kwargs": "max_gen_toks=24",
                 "steps": 0.5, "live_limit": 2, "live_tasks": f"lawshift_{LIVE_SCENARIO[real]}_original"},
        "defaults": COMMON,
        "pt": {"dataset": [corpus], "max_records": 400, "max_length": 128, "max_steps": 20, "learning_rate": 2e-3},
        # sft teaches the answer format: 50 updates of 4 cases cost what 25 of 8 did and leave the answers parsed
        # (25 of 8 left the tiny model repeating "<answer>"; parse_rate 0)
        "sft": {"dataset": [cases], "articles": articles, "max_steps": 50, "learning_rate": 3e-3,
                "per_device_train_batch_size": 4},
        # rs-sft keeps the sampled answers the scorer accepts and trains on them: right answers reinforced
        "rs-sft": {"dataset": [cases], "articles": articles, "max_records": 24, "rs_num_samples": 4,
                   "rs_max_new_tokens": 24, "rs_batch_size": 8, "max_steps": 8, "learning_rate": 1e-3,
                   "per_device_train_batch_size": 4},
        # dpo, kto, rm, ppo and grpo all start from rs-sft, so the site compares them side by side.
        "dpo": {"max_steps": 6, "learning_rate": 1e-4, "per_device_train_batch_size": 4},
        "kto": {"parent": "rs-sft", "max_steps": 6, "learning_rate": 1e-4, "per_device_train_batch_size": 4},
        "rm": {"parent": "rs-sft", "max_steps": 6, "learning_rate": 1e-3, "per_device_train_batch_size": 4},
        # ppo: the reward model from rm plus the scorers' rewards (weights: rm first)
        "ppo": {**rl, "reward_weights": [0.1, 0.2, 0.2, 0.5], "max_steps": 12, "learning_rate": 3e-4,
                "per_device_train_batch_size": 8, "num_mini_batches": 2, "num_ppo_epochs": 2, "kl_coef": 0.02},
        "grpo": {**rl, "reward_weights": [0.2, 0.3, 0.5], "reward_model": None, "max_steps": 16,
                 "learning_rate": 5e-4, "beta": 0.04, "num_generations": 4, "per_device_train_batch_size": 16,
                 "logging_steps": 1},
    }


def run_demo(out: str | Path, data_dir: str | None = None) -> Path:
    """Run the demo into ``out``; returns the path of the site's ``index.html``."""
    from lawbench.demo.data import write_demo_data
    from lawbench.leaderboard import build_site
    from lawbench.leaderboard.reference import published_runs
    from lawbench.pipeline import make_plan, run_pipeline
    from lawbench.report import load_stage_runs, print_stage_table
    from lawbench.tiny.model import init_tiny_model, is_built

    out = Path(out).resolve()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    model = out / "base-model"
    if not is_built(model):
        if model.exists():  # an interrupted build by an older lawbench: set aside, never used as the base
            aside = model.with_name(f"base-model.incomplete-{time.strftime('%Y%m%dT%H%M%S')}")
            model.rename(aside)
            log.warning("demo: %s was not a finished tiny model; moved to %s and building it again", model, aside.name)
        init_tiny_model(model)
    timings["model init"] = round(time.perf_counter() - started, 1)
    data = Path(data_dir).resolve() if data_dir else write_demo_data(out / "demo-data")
    config = demo_config(data, real=bool(data_dir))
    atomic_write_text(out / "pipeline.yaml", config_yaml(config))
    plan = make_plan(str(model), ",".join(STAGES), str(out), config)
    status = run_pipeline(plan, on_stage_done=lambda stage, seconds: timings.__setitem__(stage, round(seconds, 1)))
    started = time.perf_counter()
    # LawBench's published models beside the stages, as `lawbench leaderboard build` shows them by default
    index = build_site(out / "runs", out / "site", title="lawbench demo", references=published_runs())
    timings["site"] = round(time.perf_counter() - started, 1)
    atomic_write_json(out / "demo_timings.json", {"stages": status, "seconds": timings})
    print_stage_table(load_stage_runs(out / "runs", evaluated_stages([BASE_STAGE, *STAGES])))
    print_timings(timings, status)
    print(f"site:     {index}")
    print(f"overview: {index.parent / 'exports' / 'overview.md'} (also CSV and LaTeX beside it)")
    print(f"runs:     lawbench runs {out / 'runs'}")
    return index


class _PlainDumper(yaml.SafeDumper):
    """Writes a value shared by several stages in full each time (no ``&id001`` anchors, ``*id001`` aliases)."""

    def ignore_aliases(self, data) -> bool:
        return True


def config_yaml(config: dict) -> str:
    """``OUT/pipeline.yaml``: the configuration as a person would write it.

    >>> shared = ["format", "charge"]
    >>> print(config_yaml({"ppo": {"reward_funcs": shared}, "grpo": {"reward_funcs": shared}}), end="")
    ppo:
      reward_funcs:
      - format
      - charge
    grpo:
      reward_funcs:
      - format
      - charge
    """
    return yaml.dump(config, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False)


def print_timings(timings: dict[str, float], status: dict[str, str], console=None) -> None:
    """Seconds per step of this run as a table (stages already done are marked, with no time)."""
    import sys

    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 160)
    table = Table(title="Seconds per step", title_justify="left")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for step in dict.fromkeys([*timings, *status]):
        seconds = timings.get(step)
        table.add_row(step, f"{seconds:.1f}" if seconds is not None else status.get(step, ""))
    table.add_row("total", f"{sum(timings.values()):.1f}", end_section=True)
    console.print(table)
