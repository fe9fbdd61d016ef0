"""``lawbench eval``: run lawbench's tasks through ``lm_eval.simple_evaluate`` and write the run.

Order of work (cheap checks first, so bad input fails before a model is loaded):

1. resolve the model argument (paths, adapter base, backend flags);
2. select tasks and load their data (validated; LawShift groups narrowed to local scenarios);
3. lock the run folder ``OUTPUT_DIR/RUN_NAME`` (one writer; the name cannot leave ``OUTPUT_DIR``), load the
   model and put lawbench's request cache in front of it (:mod:`lawbench.cache`: JSON in SQLite under
   ``RUN_DIR/cache/``, per model fingerprint, keyed by every setting that changes a prompt or its cut) so
   that re-running an interrupted command recomputes nothing it finished;
4. evaluate with lm-eval's ``simple_evaluate``;
5. add what lm-eval does not compute (:mod:`lawbench.postprocess`: bootstrap stderrs, LawShift shift
   gaps, task hashes), each step returning a new table, and build the ``"lawbench"`` manifest;
6. merge with an earlier result set of the same model in the folder (its other tasks are kept, see
   :mod:`lawbench.run_folder`), then write lm-eval's ``samples_*.jsonl`` and ``results_*.json`` (with the
   manifest) atomically.

Example (CPU, seconds)::

    lawbench model init --out tiny
    lawbench eval --model tiny --tasks lawshift --data-dir ../shared/data --limit 2 \\
        --gen-kwargs max_gen_toks=16 --output-dir runs --run-name demo
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import hashlib
import json
import logging
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
from lawbench.judge.client import JudgeOptions
from lawbench.models.resolve import ModelOptions, ResolvedModel, resolve_model
from lawbench.postprocess import shift_summary, task_hashes, with_bootstrap_stderrs, with_shift_gaps
from lawbench.utils.dataclass_cli import option
from lawbench.utils.io import atomic_write_json, atomic_write_text, sha256_text
from lawbench.utils.safe import NAME_RE, scrub_argv, scrub_urls

log = logging.getLogger(__name__)

REQUEST_TYPES = ("generate_until", "loglikelihood", "loglikelihood_rolling")


def parse_limit(text: str) -> int | float:
    """``--limit``: a number of examples per subtask, or a fraction below 1 (a share of each subtask)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--limit takes a number of examples or a fraction < 1, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("--limit must be positive")
    return value if value < 1 else int(value)


@dataclass
class EvalConfig:
    """Options of one evaluation run: the flags of ``lawbench eval`` (besides the model's, :class:`ModelOptions`)."""

    model: ModelOptions
    tasks: str | list[str] = option(
        "lawshift", group="tasks and data", help="comma-separated tasks or groups; see `lawbench tasks`")
    data_dir: str | None = option(
        None, group="tasks and data",
        help="folder holding <source>/ datasets in their original layout (default: $LAWBENCH_DATA_DIR, else the hub)")
    limit: int | float | None = option(
        None, type=parse_limit, group="tasks and data", help="examples per subtask (a fraction < 1 takes a share)")
    num_fewshot: int | None = option(None, group="tasks and data", help="few-shot examples (tasks that support them)")
    gen_kwargs: str | None = option(
        None, group="tasks and data",
        help="generation settings in lm-eval syntax, e.g. max_gen_toks=64,temperature=0")
    lawshift_articles: str = option(
        "new", choices=("new", "both"), group="tasks and data",
        help="poisoned side shows the changed statute only (new) or old and new side by side (both)")
    system_instruction: str | None = option(
        None, group="tasks and data", help="system prompt placed before each task's own instructions")
    rag: str | None = option(
        None, group="tasks and data", metavar="DIR",
        help="statute index (lawbench rag index): LawShift prompts carry the top --rag-k retrieved provisions "
             "instead of the gold articles (scored as retrieval_recall), legal_qa questions get them as context")
    rag_k: int = option(5, group="tasks and data", help="provisions retrieved per case or question with --rag")
    output_dir: str = option("runs", group="output", help="parent folder of runs")
    run_name: str | None = option(None, group="output", help="run folder name (default: from the model name)")
    stage: str | None = option(
        None, group="output", help="training stage of this model (base, sft, dpo, ...), recorded in the results")
    parent: str | None = option(None, group="output", help="the stage this model was trained from")
    seed: int = option(1234, group="output", help="python / numpy / torch / few-shot seeds")
    use_cache: bool = option(True, flag="--no-cache", group="output",
                             help="do not reuse or store completed requests")
    bootstrap_iters: int = option(
        1000, cli=False, help="resamples for metrics without a closed-form stderr (lm-eval's and lawbench's)")
    extra_manifest: dict = field(default_factory=dict)  # recipes add lineage details to the manifest here
    judge: JudgeOptions = field(default_factory=JudgeOptions)  # --judge-* flags (lawbench.judge)

    def __post_init__(self):
        from lawbench.tasks.lawshift.data import ARTICLE_MODES

        if self.lawshift_articles not in ARTICLE_MODES:
            raise LawbenchError(f"--lawshift-articles must be one of {', '.join(ARTICLE_MODES)}")
        if not 1 <= self.rag_k <= 50:
            raise LawbenchError(f"--rag-k must be between 1 and 50, got {self.rag_k}")
        for item in (self.gen_kwargs or "").split(",") if self.gen_kwargs else ():
            if "=" not in item or not item.split("=", 1)[0].strip():
                raise LawbenchError(
                    f"--gen-kwargs: '{item}' is not key=value (example: max_gen_toks=64,temperature=0)")


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
        self._lm = lm
        self._saved = {name: lm.__dict__[name] for name in REQUEST_TYPES if name in lm.__dict__}
        self.cpu_seconds = 0.0  # this process's CPU time (all threads): comparable on a loaded machine
        for name in REQUEST_TYPES:
            method = getattr(lm, name, None)
            if callable(method):
                setattr(lm, name, self._wrap(method))

    def detach(self) -> None:
        """Leave the model as it was (it may be evaluated again, e.g. with another adapter merged in)."""
        for name in REQUEST_TYPES:
            if name in self._saved:
                setattr(self._lm, name, self._saved[name])
            else:
                self._lm.__dict__.pop(name, None)

    def _wrap(self, method):
        def counted(requests, *args, **kwargs):
            self.computed += len(requests)
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                return method(requests, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.cpu_seconds += time.process_time() - cpu_start

        return counted


# lm-eval warnings that lawbench's design triggers on purpose: one per task with a custom loader (62
# LawShift subtasks) and one whenever it is handed an already-loaded model.
_EXPECTED_WARNINGS = ("Custom kwargs can be passed", "kwarg is not of type `str`",
                      "Passed an already-initialized model")
_WARNING_SOURCES = ("lm_eval.api.task", "lm_eval.models.huggingface")


def _drop_expected_warnings(record: logging.LogRecord) -> bool:
    return not any(text in record.getMessage() for text in _EXPECTED_WARNINGS)


@contextlib.contextmanager
def quiet_lm_eval():
    """While lawbench drives lm-eval: drop the warnings above, and ask git quietly.

    lm-eval records ``git describe`` of the working directory and lets git print "fatal: not a git
    repository" to the terminal outside a repository. Both changes are undone on exit.
    """
    import lm_eval.evaluator as evaluator

    def quiet_git_hash() -> str | None:
        try:
            out = subprocess.run(["git", "describe", "--always"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() or None if out.returncode == 0 else None

    loggers = [logging.getLogger(name) for name in _WARNING_SOURCES]
    original = evaluator.get_git_commit_hash
    evaluator.get_git_commit_hash = quiet_git_hash
    for logger in loggers:
        logger.addFilter(_drop_expected_warnings)
    try:
        yield
    finally:
        evaluator.get_git_commit_hash = original
        for logger in loggers:
            logger.removeFilter(_drop_expected_warnings)


def default_run_name(resolved: ResolvedModel) -> str:
    """A stable folder name from the model, so re-running the same command resumes the same run."""
    name = Path(resolved.display_name.rstrip("/")).name if resolved.kind != "hub" else resolved.path
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "__", name).strip("_.-")
    return name if NAME_RE.match(name) else "model"  # always a valid --run-name


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
             options.model if identity.get("fingerprint") is None else "", "json1"]  # lawbench.cache's format
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


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


def write_run(run_dir: Path, results: dict, samples: dict, date_id: str, *, carry: tuple[str, list[str]] | None = None,
              remove_older: bool = True, before_results=None) -> tuple[Path, list[Path]]:
    """Write samples then results (results last: their presence means the run is complete).

    ``before_results(seconds spent writing samples)`` runs just before the results file is written.

    ``carry`` is ``(earlier time, tasks)``: those tasks' samples files join this result set (a merge, see
    :mod:`lawbench.run_folder`). With ``remove_older`` the earlier result sets, merged into this one, are
    removed so the folder holds one consistent set; otherwise (an unreadable earlier set) they stay.
    """
    from lm_eval.utils import handle_non_serializable

    from lawbench.run_folder import carry_samples

    writing_start = time.perf_counter()
    sample_paths = []
    for task_name, task_samples in samples.items():
        lines = [json.dumps(_sanitize_sample(s), ensure_ascii=False, default=handle_non_serializable)
                 for s in task_samples]
        path = run_dir / f"samples_{task_name}_{date_id}.jsonl"
        sample_paths.append(atomic_write_text(path, "\n".join(lines) + "\n"))
    if carry:
        sample_paths += carry_samples(run_dir, carry[0], date_id, carry[1])
    if before_results is not None:
        before_results(time.perf_counter() - writing_start)
    results_path = atomic_write_json(run_dir / f"results_{date_id}.json", results, default=handle_non_serializable)
    keep = {results_path.name, *(p.name for p in sample_paths)}
    for old in [*run_dir.glob("results_*.json"), *run_dir.glob("samples_*.jsonl")] if remove_older else []:
        if old.name not in keep:  # one consistent result set per run folder (its tasks merged above)
            old.unlink(missing_ok=True)
    return results_path, sample_paths


@dataclass
class _Tasks:
    selection: Any  # lawbench.tasks.select.Selection
    loaded: dict  # lm-eval's {"tasks": ..., "groups": ...}
    data_dir: str | None

    def built(self) -> list:
        """Groups, then tasks, in the order asked for (what ``simple_evaluate`` takes)."""
        names, loaded = self.selection.names, self.loaded
        return [*(loaded["groups"][n] for n in names if n in loaded.get("groups", {})),
                *(loaded["tasks"][n] for n in names if n in loaded["tasks"])]


def load_tasks(config: EvalConfig) -> _Tasks:
    """Step 2: select the tasks and load their data (every record validated before the model loads)."""
    from lawbench.tasks.select import select_tasks

    sources.reset_read_log()
    root = sources.data_dir_from(config.data_dir)
    data_dir = str(root.resolve()) if root else None
    metadata = {"data_dir": data_dir, "lawshift_articles": config.lawshift_articles}
    if config.rag:
        from lawbench.rag.index import open_index_cached

        # Opened (and checked) here, before any model loads; the task hooks reuse this process's copy.
        metadata.update(rag_index=str(open_index_cached(config.rag).folder), rag_k=config.rag_k)
    selection = select_tasks(config.tasks, data_dir, metadata, config.lawshift_articles)
    return _Tasks(selection, selection.manager.load(selection.names), data_dir)


def _prompt_salt(config: EvalConfig, lm, chat_template: bool) -> str:
    """What changes a prompt or where it is cut, for the request cache's keys (see :mod:`lawbench.cache`)."""
    from lawbench.cache import prompt_salt
    from lawbench.models import hflm

    try:
        max_length = getattr(lm, "max_length", None)
    except Exception:  # noqa: BLE001 - some backends compute it lazily and may fail; the override still counts
        max_length = None
    template = getattr(getattr(lm, "tokenizer", None), "chat_template", None) if chat_template else None
    return prompt_salt(max_length=max_length, max_length_option=config.model.max_length,
                       truncation=getattr(lm, "truncation", None), lm_class=type(lm).__name__,
                       keep_tail=hflm.KEEP_TAIL if isinstance(lm, hflm.LawbenchHFLM) else None,
                       chat_template=sha256_text(template) if isinstance(template, str) else bool(chat_template),
                       system_instruction=config.system_instruction, num_fewshot=config.num_fewshot,
                       lawshift_articles=config.lawshift_articles)


def evaluate(config: EvalConfig, tasks: _Tasks, lm, cache_prefix: str | None, chat_template: bool) -> dict:
    """Step 4: lm-eval's ``simple_evaluate`` with lawbench's seeds, cache and chat settings.

    With ``cache_prefix`` the requests go through :class:`lawbench.cache.RequestCache` at
    ``<cache_prefix>_rank<r>.db`` for the call (never lm-eval's pickle-based ``use_cache``); the result gets a
    ``"request_cache"`` entry (file, entries set aside) for the manifest.
    """
    import os

    from lm_eval import simple_evaluate

    from lawbench.cache import RequestCache

    if not cache_prefix:
        return _simple_evaluate(simple_evaluate, config, tasks, lm, chat_template)
    rank = getattr(lm, "rank", 0) or int(os.environ.get("LOCAL_RANK", "0"))
    cache = RequestCache(f"{cache_prefix}_rank{rank}.db", _prompt_salt(config, lm, chat_template))
    try:
        with cache.attached(lm):
            results = _simple_evaluate(simple_evaluate, config, tasks, lm, chat_template)
    finally:
        cache.close()
    return {**results, "request_cache": {"file": cache.path.name,
                                         "set_aside": cache.set_aside.name if cache.set_aside else None}}


def _simple_evaluate(simple_evaluate, config: EvalConfig, tasks: _Tasks, lm, chat_template: bool) -> dict:
    return simple_evaluate(
        model=lm,
        tasks=tasks.built(),
        task_manager=tasks.selection.manager,
        num_fewshot=config.num_fewshot,
        limit=config.limit,
        gen_kwargs=config.gen_kwargs,
        use_cache=None,  # lm-eval's cache pickles; lawbench.cache (JSON) is put in front of the model instead
        apply_chat_template=chat_template,
        fewshot_as_multiturn=chat_template,
        system_instruction=config.system_instruction,
        log_samples=True,
        bootstrap_iters=config.bootstrap_iters,
        random_seed=config.seed,
        numpy_random_seed=config.seed,
        torch_random_seed=config.seed,
        fewshot_random_seed=config.seed,
    )


def count_requests(samples: dict) -> int:
    """lm-eval requests behind these samples: one per argument tuple (a multiple-choice doc asks one
    log-likelihood per option)."""
    return sum(len(s.get("arguments") or [()]) for task_samples in samples.values() for s in task_samples)


def build_manifest(config: EvalConfig, resolved: ResolvedModel, model, identity: dict, results: dict, *,
                   run_name: str, tasks: _Tasks, counter: _RequestCounter, timings: dict[str, float]) -> dict:
    """The ``"lawbench"`` object of the results JSON: lineage, model identity, data, versions, counts, timings."""
    total = count_requests(results.get("samples") or {})
    return {
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
        "data_dir": tasks.data_dir,
        "data_files": sources.files_read(),
        "skipped": tasks.selection.skipped,
        "lawshift_articles": config.lawshift_articles,
        "rag": _rag_record(config),
        "versions": _versions(),
        "seeds": {"random": config.seed, "numpy": config.seed, "torch": config.seed, "fewshot": config.seed},
        "gen_kwargs": config.gen_kwargs,
        "limit": config.limit,
        "num_fewshot": config.num_fewshot,
        "requests": {"total": total, "computed": counter.computed, "from_cache": max(total - counter.computed, 0),
                     # prompts longer than the context, cut in the middle (see lawbench.models.hflm)
                     "truncated": getattr(model.lm, "truncated_requests", 0)},
        "timings": {name: round(seconds, 3) for name, seconds in timings.items()},
        "shift": shift_summary(results),
        "command": scrub_argv(sys.argv),  # no credentials or query strings in URLs, no --*key* values
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **config.extra_manifest,
    }


def _rag_record(config: EvalConfig) -> dict | None:
    """The statute index a ``--rag`` run retrieved from: digest, size, retriever, k (no folder path)."""
    if not config.rag:
        return None
    from lawbench.rag.index import open_index_cached

    return open_index_cached(config.rag).describe(k=config.rag_k)


def run_eval(config: EvalConfig) -> EvalRun:
    """Evaluate ``config.model`` on ``config.tasks``; see the module docstring for the steps."""
    from lawbench.run_folder import run_dir_for
    from lawbench.utils.lock import folder_lock

    started = time.perf_counter()
    resolved = resolve_model(config.model)  # 1. what to load (cheap, before anything heavy)
    # a --rag run gets its own default folder: merged into the gold-article run, its LawShift scores would replace
    # those of the same tasks (and the leaderboard sets the two side by side)
    run_name = config.run_name or default_run_name(resolved) + ("-rag" if config.rag else "")
    run_dir = run_dir_for(config.output_dir, run_name)  # a plain name that stays inside --output-dir
    with quiet_lm_eval():
        tasks = load_tasks(config)  # 2.
        with folder_lock(run_dir, "run folder"):  # 3. one writer per run folder, until the results are written
            return _run_locked(config, resolved, tasks, run_name, run_dir, started)


def _run_locked(config: EvalConfig, resolved: ResolvedModel, tasks: _Tasks, run_name: str, run_dir: Path,
                started: float, model=None) -> EvalRun:
    """Steps 3-6 in a locked run folder; ``model`` is an already loaded :class:`LoadedModel` (a shared base)."""
    from lawbench.models.load import build_lm

    data_seconds = time.perf_counter() - started
    model = model or build_lm(config.model, resolved)  # 3. model + request cache
    identity = _model_identity(resolved, config.model)
    counter = _RequestCounter(model.lm)
    cache_prefix = (str(run_dir / "cache" / f"requests-{_cache_key(identity, config.model, model.dtype)}")
                    if config.use_cache else None)
    eval_start = time.perf_counter()
    try:
        results = evaluate(config, tasks, model.lm, cache_prefix, bool(model.chat_template))  # 4.
    finally:
        counter.detach()
    eval_seconds = time.perf_counter() - eval_start
    cache_info = results.pop("request_cache", None)
    stats_start = time.perf_counter()
    results = with_bootstrap_stderrs(results, tasks.loaded["tasks"], config.seed)  # 5. what lm-eval leaves out
    results = with_shift_gaps(results)
    judge_start = time.perf_counter()
    results, judge_info = _judged(config, results, tasks, run_dir)  # after generation, on the samples
    judge_seconds = time.perf_counter() - judge_start
    results = {**results, "task_hashes": task_hashes(results.get("samples") or {}),
               "config": scrub_urls({**results["config"], "model": resolved.display_name})}
    stats_seconds = time.perf_counter() - stats_start - judge_seconds
    results, carry, remove_older, previous = _merge_earlier(run_dir, results, identity)  # 6. keep other tasks
    # Every phase; "other_s" is the rest (model identity, request cache set-up, merging, the manifest), so
    # the parts add up to total_s. Writing is timed up to the results file, which carries these numbers.
    timings = {
        "data_load_s": data_seconds,
        "model_load_s": model.load_seconds,
        "generation_s": counter.seconds,
        "scoring_s": max(eval_seconds - counter.seconds, 0.0),  # lm-eval's requests, per-item scores, aggregates
        "statistics_s": stats_seconds,  # bootstrap stderrs, LawShift gaps, task hashes
        **({"judge_s": judge_seconds} if judge_info else {}),  # the judge's time, not in statistics_s
    }
    manifest = build_manifest(config, resolved, model, identity, results, run_name=run_name, tasks=tasks,
                              counter=counter, timings=timings)
    if cache_info:
        manifest["request_cache"] = cache_info
    if judge_info:
        manifest["judge"] = judge_info
    if carry:
        from lawbench.judge.pointwise import carried_judge

        old_manifest = previous.get("lawbench") if isinstance(previous.get("lawbench"), dict) else {}
        old_files = old_manifest.get("data_files") if isinstance(old_manifest.get("data_files"), dict) else {}
        manifest["data_files"] = {**old_files, **manifest["data_files"]}
        manifest["merged"] = {"from": f"results_{carry[0]}.json", "tasks": carry[1]}
        judge = carried_judge(old_manifest.get("judge") if isinstance(old_manifest.get("judge"), dict) else None,
                              manifest.get("judge"), carry[1])  # carried judged tasks keep their judge
        if judge:
            manifest["judge"] = judge
    manifest = scrub_urls(manifest)
    samples = results.get("samples") or {}
    results = {**{k: v for k, v in results.items() if k != "samples"}, "lawbench": manifest}
    date_id = _dt.datetime.now().isoformat().replace(":", "-")

    def finish_timings(writing_seconds: float) -> None:  # called by write_run before the results file
        timings = manifest["timings"]
        total = time.perf_counter() - started
        timings["writing_s"] = round(writing_seconds, 3)
        timings["other_s"] = round(max(total - sum(timings.values()), 0.0), 3)
        timings["total_s"] = round(total, 3)
        manifest["cpu_timings"] = {"generation_s": round(counter.cpu_seconds, 3),
                                   "total_s": round(time.process_time(), 3)}  # since the process started

    results_path, sample_paths = write_run(run_dir, results, samples, date_id, carry=carry,
                                           remove_older=remove_older, before_results=finish_timings)
    log.info("requests: %d total, %d reused from cache, %d computed", manifest["requests"]["total"],
             manifest["requests"]["from_cache"], counter.computed)
    return EvalRun(run_dir, results_path, sample_paths, results)


def _judged(config: EvalConfig, results: dict, tasks: _Tasks, run_dir: Path) -> tuple[dict, dict | None]:
    """Judged metrics on the judged tasks (:mod:`lawbench.judge.pointwise`) when a judge is given."""
    if not config.judge.enabled:
        return results, None
    from lawbench.judge.pointwise import judge_results

    return judge_results(config.judge, results, tasks.loaded["tasks"], run_dir / "cache")


def _merge_earlier(run_dir: Path, results: dict, identity: dict):
    """Fold an earlier result set of the same weights into ``results`` (see :mod:`lawbench.run_folder`).

    Returns ``(results, carry, remove_older, previous)``: ``carry`` is ``(earlier time, carried tasks)`` or
    ``None``; ``remove_older`` is false when an unreadable earlier set must stay where it is.
    """
    from lawbench.run_folder import date_of, merge_results, previous_results, same_model, supersede

    found = previous_results(run_dir)
    if found is None:
        return results, None, not any(run_dir.glob("results_*.json")), {}
    old_file, old = found
    if not same_model(old, {"model": identity}):
        supersede(run_dir, old_file)
        return results, None, True, old
    new = {k: v for k, v in results.items() if k != "samples"}
    merged, carried = merge_results(old, new)
    if carried:
        log.info("kept %d task(s) of the earlier run in %s: %s", len(carried), run_dir, ", ".join(carried[:8]))
    return {**merged, "samples": results.get("samples") or {}}, ((date_of(old_file), carried) if carried else None), \
        True, old


def latest_results(run_dir: str | Path) -> Path | None:
    """The newest ``results_*.json`` of a run folder."""
    found = sorted(Path(run_dir).glob("results_*.json"))
    return found[-1] if found else None
