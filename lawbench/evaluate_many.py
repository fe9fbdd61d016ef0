"""``lawbench eval --model A --model B …``: several models on the same tasks in one process.

Each model gets its own run folder (named after the model, exactly as ``lawbench eval --model A`` alone would
name it), so the runs resume, merge and feed the leaderboard like single evaluations. What one process
saves over separate commands:

* the tasks' data is loaded and validated once;
* LoRA adapters of one base load that base once and take turns on it (:mod:`lawbench.models.adapters`);
  their prompts are tokenised once (the loaded model memoises token ids).

Every model is resolved before anything heavy starts, so a typo in the third ``--model`` fails at once.

Example (CPU)::

    lawbench eval --model out/checkpoints/sft --model out/checkpoints/dpo --tasks lawshift --limit 5
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import LawbenchError
from lawbench.evaluate import EvalConfig, EvalRun, _run_locked, default_run_name, load_tasks, quiet_lm_eval, run_eval
from lawbench.models.resolve import ResolvedModel, resolve_model


@dataclass
class PlannedRun:
    config: EvalConfig
    resolved: ResolvedModel
    run_name: str
    run_dir: Path


def plan_runs(configs: list[EvalConfig]) -> list[PlannedRun]:
    """Resolve every model and name its run folder; one-line errors for what cannot work together."""
    from lawbench.run_folder import run_dir_for

    for option in ("run_name", "stage", "parent"):
        if any(getattr(c, option) for c in configs):
            flag = "--" + option.replace("_", "-")
            raise LawbenchError(f"{flag} describes one model; with several --model evaluate them one at a time, "
                                "or leave it out (each run folder is named after its model)")
    plans, seen = [], {}
    for config in configs:
        resolved = resolve_model(config.model)
        run_name = default_run_name(resolved)
        if run_name in seen:
            raise LawbenchError(f"--model {seen[run_name]} and --model {config.model.model} would share the run "
                                f"folder '{run_name}'; evaluate them in separate commands with --run-name")
        seen[run_name] = config.model.model
        plans.append(PlannedRun(config, resolved, run_name, run_dir_for(config.output_dir, run_name)))
    return plans


def run_evals(configs: list[EvalConfig]) -> list[EvalRun]:
    """Evaluate each config's model (same tasks and settings, models differ); one :class:`EvalRun` per model."""
    from lawbench.models.adapters import SharedBase, group_shared
    from lawbench.utils.lock import folder_lock

    if len(configs) == 1:
        return [run_eval(configs[0])]
    started = time.perf_counter()
    plans = plan_runs(configs)
    runs: list[EvalRun | None] = [None] * len(plans)
    with quiet_lm_eval():
        tasks = load_tasks(configs[0])  # the same tasks for every model: loaded once
        for group in group_shared([(p.config.model, p.resolved) for p in plans]):
            shared = SharedBase(plans[group[0]].config.model, [plans[i].resolved for i in group]) \
                if len(group) > 1 else None
            for position, index in enumerate(group):
                plan = plans[index]
                with folder_lock(plan.run_dir, "run folder"):
                    model = shared.activate(position) if shared else None
                    runs[index] = _run_locked(plan.config, plan.resolved, tasks, plan.run_name, plan.run_dir,
                                              started, model)
                started = time.perf_counter()
            del shared  # free this base before the next group loads its own
    return [run for run in runs if run is not None]
