"""``lawbench pipeline``: evaluate a model as ``base``, then train and evaluate each stage in order.

    lawbench pipeline --model tiny-model --stages pt,sft,rs-sft,dpo --output-dir out --config pipeline.yaml

Layout::

    OUT/checkpoints/<stage>/   model or adapter, tokenizer, trainer_state.json, lawbench_stage.json
    OUT/runs/<stage>/          that stage's eval run (``base`` evaluates the starting model; ``rm`` has none)
    OUT/logs/<stage>.log       the stage's output without library warnings (all of it: <stage>.debug.log)

Every stage starts from its parent's checkpoint: by default the previous stage, or ``parent:`` in the
YAML (e.g. dpo and kto both from rs-sft). ``rm`` is trained for ``ppo`` (its ``--reward_model``) and not
evaluated. Each stage runs as its own process (``launcher``, default ``python -m lawbench``; set it to
``accelerate launch --config_file configs/accelerate/ddp.yaml -m lawbench`` for several GPUs).

Resumable, and it knows what changed. ``OUT/pipeline_state.json`` records per stage a hash of its
configuration (recipe, parent, flags, and its parent's hash, so the starting model and every ancestor
count) and of the eval settings. On a re-run:

* a finished stage (``lawbench_stage.json`` in its checkpoint) with the same configuration is skipped, or
  only evaluated when its results are missing or the eval settings changed (the run folder merges);
* a finished stage whose configuration (or an ancestor's) changed is refused with one line naming the
  stages, unless ``--retrain-changed`` (YAML ``retrain_changed: true``) is given: then it and every stage
  after it are trained again (their old eval results move to ``runs/<stage>/superseded/``);
* an interrupted stage resumes from its latest ``checkpoint-N`` (``--resume_from_checkpoint``) when its
  configuration is unchanged and the recipe can resume (all but ppo), else restarts from its parent.

Stage names match ``^[A-Za-z0-9][A-Za-z0-9_.-]*$`` (not ``.``/``..``, ``base`` is the starting model) and
stay inside ``OUT``; the pipeline only ever deletes a folder directly inside ``OUT/checkpoints/`` that
looks like trainer output. One pipeline at a time per ``OUT`` (an exclusive lock; a second one gets one
line naming the holder).

YAML (every key optional except ``stages`` entries' data)::

    model: tiny-model              # --model wins
    stages: [pt, sft, rs-sft, dpo]  # --stages wins
    eval: {tasks: lawshift, data_dir: ../shared/data, limit: 4, gen_kwargs: "max_gen_toks=16",
           steps: 5, live_limit: 2}  # also score every 5 optimizer steps while training (first 2 items
                                     # per subtask; live_tasks: other tasks than `tasks` for that)
    defaults: {max_steps: 10, per_device_train_batch_size: 4, report_to: none}   # flags for every stage
    pt: {dataset: ["legal=laws.json:0.8", "cases=facts.jsonl:0.2"], max_length: 256}
    sft: {dataset: [train.jsonl]}
    dpo: {parent: rs-sft}          # dataset defaults to {checkpoints}/rs-sft/sampled.jsonl
    launcher: python -m lawbench

String values may use ``{out}`` and ``{checkpoints}`` (the pipeline's folders); any other braces are
left as they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lawbench.errors import DataError, LawbenchError
from lawbench.recipes.registry import BASE_STAGE, RECIPE_NAMES, RECIPES, STAGE_FILE
from lawbench.utils.io import atomic_write_json, read_json_strict
from lawbench.utils.safe import check_name, child_path, remove_trainer_output

log = logging.getLogger(__name__)

PIPELINE_KEYS = {"model", "stages", "eval", "defaults", "launcher", "retrain_changed", *RECIPE_NAMES}
STATE_FILE = "pipeline_state.json"  # OUT/pipeline_state.json: per stage, the configuration it was trained with
RETRAIN_FLAG = "--retrain-changed"
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
    retrain_changed: bool = False  # --retrain-changed: retrain stages whose configuration changed

    @property
    def checkpoints(self) -> Path:
        return self.out / "checkpoints"

    @property
    def runs(self) -> Path:
        return self.out / "runs"


def _expand(value, out: Path):
    """``{out}`` and ``{checkpoints}`` in strings (and lists of them); other braces stay as written.

    >>> _expand(["{out}/a.jsonl", "{x} {0} {"], Path("o"))
    ['o/a.jsonl', '{x} {0} {']
    """
    if isinstance(value, str):
        folders = {"out": str(out), "checkpoints": str(out / "checkpoints")}
        return re.sub(r"\{(out|checkpoints)\}", lambda m: folders[m.group(1)], value)
    if isinstance(value, list):
        return [_expand(v, out) for v in value]
    return value


def _stage_names(stages: str | None, config: dict) -> list[str]:
    """``--stages`` (comma-separated) or ``stages:`` (a list, or one comma-separated string), checked.

    >>> _stage_names(None, {"stages": "sft"}), _stage_names("pt, sft", {})
    (['sft'], ['pt', 'sft'])
    """
    raw = stages if stages is not None else config.get("stages")
    if raw is None:
        raw = ""
    if isinstance(raw, str):
        names = [s.strip() for s in raw.split(",") if s.strip()]
    elif isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        names = [s.strip() for s in raw if s.strip()]
    else:
        raise LawbenchError("pipeline config: `stages:` must be a list of stage names or one comma-separated string")
    for name in names:
        check_name(name, "pipeline stage")
        if name == BASE_STAGE:
            raise LawbenchError(f"pipeline stage '{BASE_STAGE}' is the starting model; give the stages after it")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise LawbenchError(f"pipeline: stage(s) {', '.join(duplicates)} given twice; name repeats, e.g. sft-2 "
                            "with `recipe: sft`")
    return names


def _mapping(config: dict, key: str) -> dict:
    value = config.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LawbenchError(f"pipeline config: `{key}:` must be a mapping, got {type(value).__name__}")
    return value


def make_plan(model: str | None, stages: str | None, out: str, config: dict | None = None) -> Plan:
    """Resolve the stage list, parents and per-stage flags (checked before anything runs)."""
    config = dict(config or {})
    model = model or config.get("model")
    if not model:
        raise LawbenchError("lawbench pipeline: --model is required (or `model:` in the config)")
    if not isinstance(model, str):
        raise LawbenchError("pipeline config: `model:` must be a path or hub id")
    names = _stage_names(stages, config)
    if not names:
        raise LawbenchError("lawbench pipeline: --stages is required, e.g. --stages pt,sft,rs-sft")
    unknown = set(config) - PIPELINE_KEYS - set(names)
    if unknown:
        raise LawbenchError(f"pipeline config: unknown key(s) {sorted(unknown)}; known: {sorted(PIPELINE_KEYS)} "
                            "and the names of the stages being run")
    out_path = Path(out)
    defaults = _mapping(config, "defaults")
    for key in ("eval", *names):
        _mapping(config, key)
    plan_stages: list[Stage] = []
    previous = BASE_STAGE
    for name in names:
        options = dict(config.get(name) or {})
        recipe = options.pop("recipe", name if name in RECIPES else None)
        if recipe not in RECIPES:
            raise LawbenchError(f"pipeline stage '{name}': unknown recipe; stages are {', '.join(RECIPE_NAMES)} "
                                "(or give `recipe:` for a custom stage name)")
        parent = options.pop("parent", previous)
        if not isinstance(parent, str) or not isinstance(recipe, str):
            raise LawbenchError(f"pipeline stage '{name}': `parent:` and `recipe:` must be names")
        known = {BASE_STAGE, *(s.name for s in plan_stages)}
        if parent not in known:
            raise LawbenchError(f"pipeline stage '{name}': parent '{parent}' is not base or an earlier stage")
        flags = {**defaults, **options}
        plan_stages.append(Stage(name, recipe, parent, {k: _expand(v, out_path) for k, v in flags.items()}))
        if RECIPES[recipe].continues_policy:  # a reward model is a side branch: the next stage keeps the policy
            previous = name
    _default_data(plan_stages, out_path)
    launcher = config.get("launcher") or f"{shlex.quote(sys.executable)} -m lawbench"
    if not isinstance(launcher, (str, list)):
        raise LawbenchError("pipeline config: `launcher:` must be a command line")
    launcher = shlex.split(launcher) if isinstance(launcher, str) else [str(part) for part in launcher]
    return Plan(model, out_path, plan_stages, _mapping(config, "eval"), launcher,
                retrain_changed=bool(config.get("retrain_changed", False)))


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
    from lawbench.stage_console import run_stage

    log_file.parent.mkdir(parents=True, exist_ok=True)
    log.info("pipeline: %s (log: %s)", what, log_file)
    returncode = run_stage(cmd, log_file, what)  # library warnings go to <stage>.debug.log only
    if returncode != 0:
        tail = log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["?"]
        raise LawbenchError(f"pipeline: {what} failed (exit {returncode}); see {log_file}: {tail[0][:500]}")


def _finished_run(run_dir: Path) -> bool:
    return any(run_dir.glob("results_*.json"))


def _digest(obj, out: Path) -> str:
    text = json.dumps(obj, sort_keys=True, default=str).replace(str(out), "{out}")  # the folder may move
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def stage_hashes(plan: Plan) -> dict[str, str]:
    """Per stage, a hash of what it is trained from and with (the parent's hash included: a changed
    ancestor changes every descendant)."""
    hashes = {BASE_STAGE: _digest({"model": plan.model}, plan.out)}
    for stage in plan.stages:
        hashes[stage.name] = _digest({"recipe": stage.recipe, "parent": stage.parent,
                                      "parent_hash": hashes[stage.parent], "flags": stage.flags}, plan.out)
    return hashes


def eval_hash(plan: Plan) -> str:
    return _digest(plan.eval, plan.out)


def latest_checkpoint(folder: Path) -> Path | None:
    """The ``checkpoint-N`` with the largest N inside ``folder`` (a trainer's periodic saves)."""
    steps = [(int(m.group(1)), p) for p in folder.glob("checkpoint-*")
             if p.is_dir() and (m := re.fullmatch(r"checkpoint-(\d+)", p.name))]
    return max(steps)[1] if steps else None


class _State:
    """``OUT/pipeline_state.json``: ``{stage: {"config_hash", "eval_hash"}}``, written after each change."""

    def __init__(self, out: Path):
        self.path = out / STATE_FILE
        data = read_json_strict(self.path) if self.path.is_file() else {"stages": {}}
        if not isinstance(data, dict) or not isinstance(data.get("stages"), dict) or not all(
                isinstance(v, dict) for v in data["stages"].values()):
            raise DataError(f"{self.path}: not a pipeline state file; delete it to adopt the finished stages as "
                            "they are")
        self.stages: dict[str, dict] = data["stages"]

    def get(self, name: str) -> dict | None:
        return self.stages.get(name)

    def set(self, name: str, **entry) -> dict:
        self.stages[name] = entry
        atomic_write_json(self.path, {"stages": self.stages})
        return entry


def _changed_stages(plan: Plan, state: _State, hashes: dict[str, str]) -> list[str]:
    """Finished stages whose recorded configuration differs from the plan's."""
    changed = []
    for stage in plan.stages:
        entry = state.get(stage.name)
        if entry and (plan.checkpoints / stage.name / STAGE_FILE).is_file() and \
                entry.get("config_hash") != hashes[stage.name]:
            changed.append(stage.name)
    return changed


def run_pipeline(plan: Plan, on_stage_done=None) -> dict[str, str]:
    """Run what is not done yet; returns ``{stage: status}`` (ran, evaluated, skipped).

    ``on_stage_done(stage, seconds)`` is called after each stage that did any work. One pipeline at a time
    writes ``plan.out`` (an exclusive lock).
    """
    from lawbench.utils.lock import folder_lock

    for stage in plan.stages:  # a Plan built by hand gets the same checks as make_plan's
        check_name(stage.name, "pipeline stage")
    with folder_lock(plan.out, "pipeline folder"):
        return _run_stages(plan, on_stage_done)


def _run_stages(plan: Plan, on_stage_done) -> dict[str, str]:
    import time

    status: dict[str, str] = {}
    clock = time.perf_counter()

    def done(stage: str, state: str) -> None:
        nonlocal clock
        status[stage] = state
        if state == "skipped":
            log.info("pipeline: %s already done, skipped", stage)
        if on_stage_done and state != "skipped":
            on_stage_done(stage, time.perf_counter() - clock)
        clock = time.perf_counter()

    logs = plan.out / "logs"
    state, hashes, eval_key = _State(plan.out), stage_hashes(plan), eval_hash(plan)
    changed = _changed_stages(plan, state, hashes)
    if changed and not plan.retrain_changed:
        raise LawbenchError(f"pipeline: stage(s) {', '.join(changed)} in {plan.out} were trained with another "
                            "configuration (the stage, an ancestor or the starting model changed); re-run with "
                            f"{RETRAIN_FLAG} to train them and the stages after them again, or use another "
                            "--output-dir")
    base = state.get(BASE_STAGE) or {}
    if _finished_run(plan.runs / BASE_STAGE) and (not base or (
            base.get("config_hash") == hashes[BASE_STAGE] and base.get("eval_hash") == eval_key)):
        state.set(BASE_STAGE, config_hash=hashes[BASE_STAGE], eval_hash=eval_key)
        done(BASE_STAGE, "skipped")
    else:
        _run([*plan.launcher, "eval", "--model", plan.model, *_eval_args(plan, BASE_STAGE, None)],
             logs / f"{BASE_STAGE}.log", f"evaluating {BASE_STAGE}")
        state.set(BASE_STAGE, config_hash=hashes[BASE_STAGE], eval_hash=eval_key)
        done(BASE_STAGE, "ran")
    for stage in plan.stages:
        checkpoint = child_path(plan.checkpoints, stage.name, "pipeline stage")
        parent_model = plan.model if stage.parent == BASE_STAGE else str(plan.checkpoints / stage.parent)
        complete = (checkpoint / STAGE_FILE).is_file()
        entry = state.get(stage.name)
        finished_run = _finished_run(plan.runs / stage.name)
        if complete and entry is None:  # finished by a lawbench that kept no state: adopted as it is
            log.warning("pipeline: %s has no recorded configuration; assuming it matches the current one", stage.name)
            entry = state.set(stage.name, config_hash=hashes[stage.name], eval_hash=eval_key if finished_run else None)
        if complete and entry.get("config_hash") != hashes[stage.name]:  # only with --retrain-changed
            log.warning("pipeline: %s changed; training it again (%s)", stage.name, RETRAIN_FLAG)
            remove_trainer_output(checkpoint, plan.checkpoints)
            complete = False
        if complete and (not stage.evaluated or (finished_run and entry.get("eval_hash") == eval_key)):
            done(stage.name, "skipped")
            continue
        if complete:
            _run([*plan.launcher, "eval", "--model", str(checkpoint), *_eval_args(plan, stage.name, stage.parent)],
                 logs / f"{stage.name}.log", f"evaluating {stage.name}")
            state.set(stage.name, config_hash=hashes[stage.name], eval_hash=eval_key)
            done(stage.name, "evaluated")
            continue
        resume = None
        if checkpoint.exists():
            latest = latest_checkpoint(checkpoint)
            if latest and RECIPES[stage.recipe].resumes and (entry or {}).get("config_hash") == hashes[stage.name]:
                log.warning("pipeline: %s was interrupted; resuming it from %s", stage.name, latest.name)
                resume = latest
            else:
                log.warning("pipeline: %s was interrupted; restarting it from %s", stage.name, stage.parent)
                remove_trainer_output(checkpoint, plan.checkpoints)
        state.set(stage.name, config_hash=hashes[stage.name], eval_hash=None)  # training: not finished yet
        cmd = [*plan.launcher, "recipe", stage.recipe, "--model", parent_model, "--output-dir", str(checkpoint),
               "--stage", stage.name, "--parent", stage.parent, *_flag_args(stage.flags)]
        if resume is not None:
            cmd += ["--resume_from_checkpoint", str(resume)]
        if stage.evaluated:
            ev = plan.eval
            cmd += ["--then_eval", "true", "--tasks", str(ev.get("tasks", "lawshift")), "--eval_output_dir",
                    str(plan.runs)]
            cmd += _flag_args({"data_dir": ev.get("data_dir"), "limit": ev.get("limit"),
                               "eval_gen_kwargs": ev.get("gen_kwargs"), "eval_batch_size": ev.get("batch_size")})
            if ev.get("steps") and "eval_steps" not in stage.flags:  # scores while training (live_eval)
                live = {"eval_steps": ev["steps"], "eval_tasks": ev.get("live_tasks") or ev.get("tasks", "lawshift"),
                        "eval_limit": ev.get("live_limit")}
                cmd += _flag_args({k: v for k, v in live.items() if k not in stage.flags})
        _run(cmd, logs / f"{stage.name}.log", f"training {stage.name} from {stage.parent}")
        state.set(stage.name, config_hash=hashes[stage.name], eval_hash=eval_key if stage.evaluated else None)
        done(stage.name, "ran")
    return status
