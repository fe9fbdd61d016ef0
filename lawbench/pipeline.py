"""``lawbench pipeline``: evaluate a model as ``base``, then train and evaluate each stage in order.

    lawbench pipeline --model tiny-model --stages pt,sft,rs-sft,dpo --output-dir out --config pipeline.yaml

Layout::

    OUT/checkpoints/<stage>/   model or adapter, tokenizer, trainer_state.json, lawbench_stage.json
    OUT/runs/<stage>/          that stage's eval run (``base`` evaluates the starting model; ``rm`` has none)
    OUT/logs/<stage>.log       the stage's full output

Every stage starts from its parent's checkpoint: by default the previous stage, or ``parent:`` in the
YAML (e.g. dpo and kto both from rs-sft). ``rm`` is trained for ``ppo`` (its ``--reward_model``) and not
evaluated. Each stage runs as its own process (``launcher``, default ``python -m lawbench``; set it to
``accelerate launch --config_file configs/accelerate/ddp.yaml -m lawbench`` for several GPUs).

Resumable: a stage whose checkpoint has ``lawbench_stage.json`` and whose run has results is skipped; a
checkpoint without ``lawbench_stage.json`` is an interrupted stage and restarts from its parent; a
finished checkpoint without results is only evaluated (and the evaluation itself resumes from its cache).

YAML (every key optional except ``stages`` entries' data)::

    model: tiny-model              # --model wins
    stages: [pt, sft, rs-sft, dpo]  # --stages wins
    eval: {tasks: lawshift, data_dir: ../shared/data, limit: 4, gen_kwargs: "max_gen_toks=16"}
    defaults: {max_steps: 10, per_device_train_batch_size: 4, report_to: none}   # flags for every stage
    pt: {dataset: ["legal=laws.json:0.8", "cases=facts.jsonl:0.2"], max_length: 256}
    sft: {dataset: [train.jsonl]}
    dpo: {parent: rs-sft}          # dataset defaults to {checkpoints}/rs-sft/sampled.jsonl
    launcher: python -m lawbench

String values may use ``{out}`` and ``{checkpoints}`` (the pipeline's folders).
"""

from __future__ import annotations

import logging
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lawbench.errors import LawbenchError
from lawbench.recipes.registry import BASE_STAGE, RECIPE_NAMES, RECIPES, STAGE_FILE

log = logging.getLogger(__name__)

PIPELINE_KEYS = {"model", "stages", "eval", "defaults", "launcher", *RECIPE_NAMES}
STAGE_KEYS = {"parent", "recipe"}  # pipeline-level keys of a stage; the rest are recipe flags


@dataclass
class Stage:
    name: str
    recipe: str
    parent: str
    flags: dict = field(default_factory=dict)

    @property
    def evaluated(self) -> bool:
        return RECIPES[self.recipe].evaluated


@dataclass
class Plan:
    model: str
    out: Path
    stages: list[Stage]
    eval: dict
    launcher: list[str]

    @property
    def checkpoints(self) -> Path:
        return self.out / "checkpoints"

    @property
    def runs(self) -> Path:
        return self.out / "runs"


def _expand(value, out: Path):
    if isinstance(value, str):
        return value.format(out=out, checkpoints=out / "checkpoints")
    if isinstance(value, list):
        return [_expand(v, out) for v in value]
    return value


def make_plan(model: str | None, stages: str | None, out: str, config: dict | None = None) -> Plan:
    """Resolve the stage list, parents and per-stage flags (checked before anything runs)."""
    config = dict(config or {})
    model = model or config.get("model")
    if not model:
        raise LawbenchError("lawbench pipeline: --model is required (or `model:` in the config)")
    names = [s.strip() for s in (stages or ",".join(config.get("stages") or [])).split(",") if s.strip()]
    if not names:
        raise LawbenchError("lawbench pipeline: --stages is required, e.g. --stages pt,sft,rs-sft")
    unknown = set(config) - PIPELINE_KEYS - set(names)
    if unknown:
        raise LawbenchError(f"pipeline config: unknown key(s) {sorted(unknown)}; known: {sorted(PIPELINE_KEYS)} "
                            "and the names of the stages being run")
    out_path = Path(out)
    defaults = config.get("defaults") or {}
    plan_stages: list[Stage] = []
    previous = BASE_STAGE
    for name in names:
        options = dict(config.get(name) or {})
        recipe = options.pop("recipe", name if name in RECIPES else None)
        if recipe not in RECIPES:
            raise LawbenchError(f"pipeline stage '{name}': unknown recipe; stages are {', '.join(RECIPE_NAMES)} "
                                "(or give `recipe:` for a custom stage name)")
        parent = options.pop("parent", previous)
        known = {BASE_STAGE, *(s.name for s in plan_stages)}
        if parent not in known:
            raise LawbenchError(f"pipeline stage '{name}': parent '{parent}' is not base or an earlier stage")
        flags = {**defaults, **options}
        plan_stages.append(Stage(name, recipe, parent, {k: _expand(v, out_path) for k, v in flags.items()}))
        if RECIPES[recipe].continues_policy:  # a reward model is a side branch: the next stage keeps the policy
            previous = name
    _default_data(plan_stages, out_path)
    launcher = shlex.split(config.get("launcher") or f"{shlex.quote(sys.executable)} -m lawbench")
    return Plan(model, out_path, plan_stages, config.get("eval") or {}, launcher)


def _default_data(stages: list[Stage], out: Path) -> None:
    by_name = {s.name: s for s in stages}
    for stage in stages:
        if RECIPES[stage.recipe].default_data == "rs-sft samples" and "dataset" not in stage.flags:
            ancestor = stage.parent
            while ancestor in by_name and by_name[ancestor].recipe != "rs-sft":
                ancestor = by_name[ancestor].parent
            if ancestor in by_name:
                stage.flags["dataset"] = [str(out / "checkpoints" / ancestor / "sampled.jsonl")]
        if RECIPES[stage.recipe].takes_reward_model and "reward_model" not in stage.flags:
            rms = [s.name for s in stages[:stages.index(stage)] if RECIPES[s.recipe].produces == "reward_model"]
            if rms:
                stage.flags["reward_model"] = str(out / "checkpoints" / rms[-1])


def _flag_args(flags: dict) -> list[str]:
    args: list[str] = []
    for key, value in flags.items():
        if value is None:
            continue
        args.append(f"--{key}")
        if isinstance(value, bool):
            args.append("true" if value else "false")
        elif isinstance(value, list):
            args += [str(v) for v in value]
        else:
            args.append(str(value))
    return args


def _eval_args(plan: Plan, stage: str, parent: str | None) -> list[str]:
    ev = plan.eval
    args = ["--tasks", str(ev.get("tasks", "lawshift"))]
    for key, flag in (("data_dir", "--data-dir"), ("limit", "--limit"), ("batch_size", "--batch-size")):
        if ev.get(key) is not None:
            args += [flag, str(ev[key])]
    if ev.get("gen_kwargs"):
        args += ["--gen-kwargs", str(ev["gen_kwargs"])]
    return args + ["--output-dir", str(plan.runs), "--run-name", stage, "--stage", stage] + (
        ["--parent", parent] if parent else [])


def _run(cmd: list[str], log_file: Path, what: str) -> None:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log.info("pipeline: %s (log: %s)", what, log_file)
    with open(log_file, "a", encoding="utf-8") as handle:
        handle.write("$ " + shlex.join(cmd) + "\n")
        handle.flush()
        done = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["?"]
        raise LawbenchError(f"pipeline: {what} failed (exit {done.returncode}); see {log_file}: {tail[0][:500]}")


def _finished_run(run_dir: Path) -> bool:
    return any(run_dir.glob("results_*.json"))


def run_pipeline(plan: Plan, on_stage_done=None) -> dict[str, str]:
    """Run what is not done yet; returns ``{stage: status}`` (ran, evaluated, skipped).

    ``on_stage_done(stage, seconds)`` is called after each stage that did any work.
    """
    import time

    status: dict[str, str] = {}
    clock = time.perf_counter()

    def done(stage: str, state: str) -> None:
        nonlocal clock
        status[stage] = state
        if on_stage_done and state != "skipped":
            on_stage_done(stage, time.perf_counter() - clock)
        clock = time.perf_counter()

    logs = plan.out / "logs"
    if _finished_run(plan.runs / BASE_STAGE):
        done(BASE_STAGE, "skipped")
    else:
        _run([*plan.launcher, "eval", "--model", plan.model, *_eval_args(plan, BASE_STAGE, None)],
             logs / f"{BASE_STAGE}.log", f"evaluating {BASE_STAGE}")
        done(BASE_STAGE, "ran")
    for stage in plan.stages:
        checkpoint = plan.checkpoints / stage.name
        parent_model = plan.model if stage.parent == BASE_STAGE else str(plan.checkpoints / stage.parent)
        complete = (checkpoint / STAGE_FILE).is_file()
        if complete and (not stage.evaluated or _finished_run(plan.runs / stage.name)):
            done(stage.name, "skipped")
            continue
        if complete:
            _run([*plan.launcher, "eval", "--model", str(checkpoint), *_eval_args(plan, stage.name, stage.parent)],
                 logs / f"{stage.name}.log", f"evaluating {stage.name}")
            done(stage.name, "evaluated")
            continue
        if checkpoint.exists():
            log.warning("pipeline: %s was interrupted; restarting it from %s", stage.name, stage.parent)
            shutil.rmtree(checkpoint)
        cmd = [*plan.launcher, "recipe", stage.recipe, "--model", parent_model, "--output-dir", str(checkpoint),
               "--stage", stage.name, "--parent", stage.parent, *_flag_args(stage.flags)]
        if stage.evaluated:
            ev = plan.eval
            cmd += ["--then_eval", "true", "--tasks", str(ev.get("tasks", "lawshift")), "--eval_output_dir",
                    str(plan.runs)]
            cmd += _flag_args({"data_dir": ev.get("data_dir"), "limit": ev.get("limit"),
                               "eval_gen_kwargs": ev.get("gen_kwargs"), "eval_batch_size": ev.get("batch_size")})
        _run(cmd, logs / f"{stage.name}.log", f"training {stage.name} from {stage.parent}")
        done(stage.name, "ran")
    return status
