"""``lawbench eval``: run lawbench's tasks through ``lm_eval.simple_evaluate`` and write the run.

Order of work (cheap checks first, so bad input fails before a model is loaded):

1. resolve the model argument (paths, adapter base, backend flags);
2. select tasks and load their data (validated; LawShift groups narrowed to local scenarios);
3. load the model; wrap it in lm-eval's request cache (``OUTPUT_DIR/RUN_NAME/cache/``, keyed by the
   model fingerprint) so that re-running an interrupted command recomputes nothing it finished;
4. evaluate, add LawShift shift gaps, and write lm-eval's ``results_*.json`` (plus a ``"lawbench"``
   manifest) and ``samples_*.jsonl`` atomically.

Example (CPU, seconds)::

    lawbench model init --out tiny
    lawbench eval --model tiny --tasks lawshift --data-dir ../shared/data --limit 2 \\
        --gen-kwargs max_gen_toks=16 --output-dir runs --run-name demo
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import math
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lawbench import __version__, sources
from lawbench.errors import LawbenchError
from lawbench.models.resolve import ModelOptions, ResolvedModel, resolve_model
from lawbench.utils.io import atomic_write_json, atomic_write_text, sha256_text

log = logging.getLogger(__name__)

LAWSHIFT_METRICS = ("charge_acc", "term_acc", "term_score", "verdict_acc", "parse_rate")
REQUEST_TYPES = ("generate_until", "loglikelihood", "loglikelihood_rolling")


@dataclass
class EvalConfig:
    """Options of one evaluation run (the CLI flags of ``lawbench eval``)."""

    model: ModelOptions
    tasks: str | list[str] = "lawshift"
    data_dir: str | None = None  # root holding <source>/ folders; else $LAWBENCH_DATA_DIR, else the hub
    limit: int | float | None = None  # examples per subtask (a fraction < 1 means a share)
    gen_kwargs: str | None = None  # lm-eval syntax, e.g. "max_gen_toks=64,temperature=0"
    num_fewshot: int | None = None
    output_dir: str = "runs"
    run_name: str | None = None  # default: derived from the model name
    stage: str | None = None  # training stage that produced the model (base, sft, dpo...)
    parent: str | None = None  # the stage it was trained from
    seed: int = 1234  # python / numpy / torch / few-shot sampling seeds
    lawshift_articles: str = "new"  # poisoned side: "new" statute only, or "both" old and new
    use_cache: bool = True  # reuse completed requests of an interrupted run
    bootstrap_iters: int = 1000  # only for metrics without a closed-form stderr
    system_instruction: str | None = None
    extra_manifest: dict = field(default_factory=dict)  # recipes add lineage details here


@dataclass
class EvalRun:
    run_dir: Path
    results_path: Path
    sample_paths: list[Path]
    results: dict


class _RequestCounter:
    """Counts the requests that reach the model (cache misses) and the time spent on them."""

    def __init__(self, lm):
        self.computed = 0
        self.seconds = 0.0
        for name in REQUEST_TYPES:
            method = getattr(lm, name, None)
            if callable(method):
                setattr(lm, name, self._wrap(method))

    def _wrap(self, method):
        def counted(requests, *args, **kwargs):
            self.computed += len(requests)
            start = time.perf_counter()
            try:
                return method(requests, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return counted


# lm-eval warnings that lawbench's design triggers on purpose: one per task with a custom loader (62
# LawShift subtasks) and one whenever it is handed an already-loaded model.
_EXPECTED_WARNINGS = ("Custom kwargs can be passed", "kwarg is not of type `str`", "Passed an already-initialized model")


def _drop_expected_warnings(record: logging.LogRecord) -> bool:
    return not any(text in record.getMessage() for text in _EXPECTED_WARNINGS)


for _name in ("lm_eval.api.task", "lm_eval.models.huggingface"):
    logging.getLogger(_name).addFilter(_drop_expected_warnings)


@contextlib.contextmanager
def _quiet_git_hash():
    """lm-eval records ``git describe`` of the working directory and lets git print "fatal: not a git
    repository" to the terminal outside a repository; ask git quietly instead."""
    import lm_eval.evaluator as evaluator

    def quiet() -> str | None:
        try:
            out = subprocess.run(["git", "describe", "--always"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() or None if out.returncode == 0 else None

    original = evaluator.get_git_commit_hash
    evaluator.get_git_commit_hash = quiet
    try:
        yield
    finally:
        evaluator.get_git_commit_hash = original


def default_run_name(resolved: ResolvedModel) -> str:
    """A stable folder name from the model, so re-running the same command resumes the same run."""
    name = Path(resolved.display_name.rstrip("/")).name if resolved.kind != "hub" else resolved.path
    return re.sub(r"[^\w.\-]+", "__", name).strip("_") or "model"


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"lawbench": __version__, "python": platform.python_version()}
    for package in ("lm_eval", "transformers", "torch", "peft", "datasets", "accelerate", "vllm"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def _model_identity(resolved: ResolvedModel, options: ModelOptions) -> dict:
    from lawbench.models.fingerprint import hub_snapshot_dir, model_fingerprint

    if resolved.kind == "api":
        return {"fingerprint": sha256_text(f"api:{options.base_url}:{options.model}"), "weights": "remote"}
    base_dir = hub_snapshot_dir(resolved.path, options.revision) if resolved.kind == "hub" else resolved.path
    base = model_fingerprint(base_dir)
    if not resolved.adapter:
        return {"fingerprint": base["fingerprint"], "weights": base}
    adapter = model_fingerprint(resolved.adapter)
    return {"fingerprint": sha256_text(f"{base['fingerprint']}+{adapter['fingerprint']}"),
            "weights": {"base": base, "adapter": adapter}}


def _cache_key(identity: dict, options: ModelOptions, dtype: str) -> str:
    # Cached answers are keyed by prompt + generation kwargs inside the db; the db itself must
    # therefore be specific to the model, its numerics and the backend.
    parts = [identity.get("fingerprint") or "unknown", options.backend, dtype, str(options.load_in_4bit),
             options.model if identity.get("fingerprint") is None else ""]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def add_shift_gaps(results: dict) -> dict:
    """Add ``shift_gap_<metric>`` (poisoned minus original, pooled) to the ``lawshift`` group entry.

    Returns the structured shift summary (pooled and per scenario) for the manifest.
    """
    from lawbench.tasks.lawshift.scenarios import BY_NAME, subtask_name

    table = results.get("results", {})
    summary: dict[str, Any] = {"pooled": {}, "scenarios": {}}
    original, poisoned = table.get("lawshift_original"), table.get("lawshift_poisoned")
    if original and poisoned:
        for metric in LAWSHIFT_METRICS:
            key = f"{metric},none"
            if isinstance(original.get(key), (int, float)) and isinstance(poisoned.get(key), (int, float)):
                gap = poisoned[key] - original[key]
                summary["pooled"][metric] = {"original": original[key], "poisoned": poisoned[key], "shift_gap": gap}
                if "lawshift" in table:
                    table["lawshift"][f"shift_gap_{metric},none"] = gap
                    errors = [side.get(f"{metric}_stderr,none") for side in (original, poisoned)]
                    if all(isinstance(e, (int, float)) for e in errors):
                        table["lawshift"][f"shift_gap_{metric}_stderr,none"] = math.sqrt(sum(e * e for e in errors))
    for name, info in BY_NAME.items():
        sides = {side: table.get(subtask_name(name, side)) for side in ("original", "poisoned")}
        if not any(sides.values()):
            continue
        row: dict[str, Any] = {"type": info.shift_type, "code": info.code}
        for side, entry in sides.items():
            if entry:
                row[side] = {m: entry[f"{m},none"] for m in LAWSHIFT_METRICS if f"{m},none" in entry}
                row[f"n_{side}"] = results.get("n-samples", {}).get(subtask_name(name, side), {}).get("effective")
        if sides["original"] and sides["poisoned"]:
            row["shift_gap"] = {m: row["poisoned"][m] - row["original"][m]
                                for m in LAWSHIFT_METRICS if m in row["original"] and m in row["poisoned"]}
        summary["scenarios"][name] = row
    return summary


def _sanitize_sample(sample: dict) -> dict:
    """lm-eval's sample layout as its EvaluationTracker writes it (datasets-loadable)."""
    from lm_eval.utils import sanitize_list

    sample = dict(sample)
    sample["arguments"] = {f"gen_args_{i}": {f"arg_{j}": a for j, a in enumerate(args)}
                           for i, args in enumerate(sample.get("arguments", []))}
    sample["resps"] = sanitize_list(sample.get("resps", []))
    sample["filtered_resps"] = sanitize_list(sample.get("filtered_resps", []))
    sample["target"] = str(sample.get("target"))
    return sample


def fill_bootstrap_stderrs(results: dict, tasks: dict, seed: int) -> None:
    """Bootstrap the stderr of metrics lm-eval leaves at "N/A" (custom corpus-level aggregations).

    A task opts in with ``metadata: {lawbench_bootstrap_iters: N}``; its items are resampled N times
    and the task's own aggregation is applied to each resample. Groups whose subtasks now all have a
    stderr get lm-eval's pooled stderr.
    """
    from lm_eval.api.metrics import pooled_sample_stderr

    from lawbench.metrics.text import bootstrap_stderr

    table, samples = results.get("results", {}), results.get("samples") or {}
    for name, task in tasks.items():
        iters = int((task.config.metadata or {}).get("lawbench_bootstrap_iters") or 0)
        entry = table.get(name)
        if not iters or entry is None or name not in samples:
            continue
        for metric, aggregate in task.aggregation().items():
            for key in [k for k in entry if k.startswith(f"{metric}_stderr,") and entry[k] == "N/A"]:
                filter_name = key.split(",", 1)[1]
                items = [s[metric] for s in samples[name] if s.get("filter", filter_name) == filter_name and metric in s]
                if len(items) > 1:
                    entry[key] = bootstrap_stderr(aggregate, items, iters=iters, seed=seed)
    for group, members in (results.get("group_subtasks") or {}).items():
        entry = table.get(group, {})
        for key in [k for k in entry if "_stderr," in k and entry[k] == "N/A"]:
            stderrs = [table.get(m, {}).get(key) for m in members]
            sizes = [results.get("n-samples", {}).get(m, {}).get("effective", 0) for m in members]
            if members and all(isinstance(e, (int, float)) for e in stderrs) and sum(sizes) > len(sizes):
                entry[key] = float(pooled_sample_stderr(stderrs, sizes))


def task_hashes(samples: dict) -> dict[str, str]:
    """lm-eval's per-task hash of all doc, prompt and target hashes (changes when prompts change)."""
    from lm_eval.utils import hash_string

    return {
        task: hash_string("".join(s.get("doc_hash", "") + s.get("prompt_hash", "") + s.get("target_hash", "") for s in items))
        for task, items in samples.items()
    }


def write_run(run_dir: Path, results: dict, date_id: str) -> tuple[Path, list[Path]]:
    """Write samples then results (results last: their presence means the run is complete)."""
    from lm_eval.utils import handle_non_serializable

    samples = results.pop("samples", {}) or {}
    sample_paths = []
    for task_name, task_samples in samples.items():
        lines = [json.dumps(_sanitize_sample(s), ensure_ascii=False, default=handle_non_serializable) for s in task_samples]
        sample_paths.append(atomic_write_text(run_dir / f"samples_{task_name}_{date_id}.jsonl", "\n".join(lines) + "\n"))
    results_path = atomic_write_json(run_dir / f"results_{date_id}.json", results, default=handle_non_serializable)
    keep = {results_path.name, *(p.name for p in sample_paths)}
    for old in [*run_dir.glob("results_*.json"), *run_dir.glob("samples_*.jsonl")]:
        if old.name not in keep:  # one consistent result set per run folder
            old.unlink(missing_ok=True)
    return results_path, sample_paths


def run_eval(config: EvalConfig) -> EvalRun:
    """Evaluate ``config.model`` on ``config.tasks``; see the module docstring for the steps."""
    started = time.perf_counter()
    resolved = resolve_model(config.model)
    from lawbench.tasks.lawshift.data import ARTICLE_MODES

    if config.lawshift_articles not in ARTICLE_MODES:
        raise LawbenchError(f"--lawshift-articles must be one of {', '.join(ARTICLE_MODES)}")

    # 2. tasks and data: every record is validated here, before the (slow) model load.
    from lawbench.tasks.select import select_tasks

    sources.reset_read_log()
    root = sources.data_dir_from(config.data_dir)
    data_dir = str(root.resolve()) if root else None
    metadata = {"data_dir": data_dir, "lawshift_articles": config.lawshift_articles}
    selection = select_tasks(config.tasks, data_dir, metadata, config.lawshift_articles)
    loaded = selection.manager.load(selection.names)
    data_seconds = time.perf_counter() - started

    # 3. model + request cache.
    from lawbench.models.load import build_lm

    model = build_lm(config.model, resolved)
    identity = _model_identity(resolved, config.model)
    run_name = config.run_name or default_run_name(resolved)
    run_dir = Path(config.output_dir) / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    counter = _RequestCounter(model.lm)
    cache_prefix = None
    if config.use_cache:
        cache_prefix = str(run_dir / "cache" / f"requests-{_cache_key(identity, config.model, model.dtype)}")

    # 4. evaluate.
    from lm_eval import simple_evaluate

    built = [*(loaded["groups"][n] for n in selection.names if n in loaded.get("groups", {})),
             *(loaded["tasks"][n] for n in selection.names if n in loaded["tasks"])]
    eval_start = time.perf_counter()
    with _quiet_git_hash():
        results = simple_evaluate(
            model=model.lm,
            tasks=built,
            task_manager=selection.manager,
            num_fewshot=config.num_fewshot,
            limit=config.limit,
            gen_kwargs=config.gen_kwargs,
            use_cache=cache_prefix,
            apply_chat_template=bool(model.chat_template),
            fewshot_as_multiturn=bool(model.chat_template),
            system_instruction=config.system_instruction,
            log_samples=True,
            bootstrap_iters=config.bootstrap_iters,
            random_seed=config.seed,
            numpy_random_seed=config.seed,
            torch_random_seed=config.seed,
            fewshot_random_seed=config.seed,
        )
    eval_seconds = time.perf_counter() - eval_start
    # one lm-eval request per argument tuple (a multiple-choice doc asks one log-likelihood per option)
    total_requests = sum(len(s.get("arguments") or [()]) for task_samples in (results.get("samples") or {}).values()
                         for s in task_samples)
    fill_bootstrap_stderrs(results, loaded["tasks"], config.seed)
    shift = add_shift_gaps(results)
    results["task_hashes"] = task_hashes(results.get("samples") or {})
    results["config"]["model"] = resolved.display_name
    results["lawbench"] = {
        "version": __version__,
        "stage": config.stage,
        "parent": config.parent,
        "run_name": run_name,
        "model": {
            "argument": config.model.model,
            "kind": resolved.kind,
            "path": resolved.path,
            "adapter": resolved.adapter,
            "backend": config.model.backend,
            "device": model.device,
            "dtype": model.dtype,
            **model.info,
            **identity,
        },
        "chat_template": {"applied": bool(model.chat_template),
                          "sha256": sha256_text(model.chat_template) if model.chat_template else None},
        "tasks": {name: {"version": version, "hash": results.get("task_hashes", {}).get(name)}
                  for name, version in sorted(results.get("versions", {}).items())},
        "data_dir": data_dir,
        "data_files": sources.files_read(),
        "skipped": selection.skipped,
        "lawshift_articles": config.lawshift_articles,
        "versions": _versions(),
        "seeds": {"random": config.seed, "numpy": config.seed, "torch": config.seed, "fewshot": config.seed},
        "gen_kwargs": config.gen_kwargs,
        "limit": config.limit,
        "num_fewshot": config.num_fewshot,
        "requests": {"total": total_requests, "computed": counter.computed,
                     "from_cache": max(total_requests - counter.computed, 0),
                     # prompts longer than the context, cut in the middle (see lawbench.models.hflm)
                     "truncated": getattr(model.lm, "truncated_requests", 0)},
        "timings": {
            "data_load_s": round(data_seconds, 3),
            "model_load_s": round(model.load_seconds, 3),
            "generation_s": round(counter.seconds, 3),
            "scoring_s": round(max(eval_seconds - counter.seconds, 0.0), 3),
            "total_s": round(time.perf_counter() - started, 3),
        },
        "shift": shift,
        "command": sys.argv,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **config.extra_manifest,
    }
    date_id = _dt.datetime.now().isoformat().replace(":", "-")
    results_path, sample_paths = write_run(run_dir, results, date_id)
    log.info("requests: %d total, %d reused from cache, %d computed", total_requests,
             results["lawbench"]["requests"]["from_cache"], counter.computed)
    return EvalRun(run_dir, results_path, sample_paths, results)


def latest_results(run_dir: str | Path) -> Path | None:
    """The newest ``results_*.json`` of a run folder."""
    found = sorted(Path(run_dir).glob("results_*.json"))
    return found[-1] if found else None
