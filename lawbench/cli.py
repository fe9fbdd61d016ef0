"""The ``lawbench`` command line.

Only argparse is imported at start-up: torch, transformers and lm-eval are imported inside the
command that needs them, so ``lawbench --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from lawbench import __version__
from lawbench.errors import LawbenchError, first_line

EPILOG = "Docs: README.md and docs/index.md. Every subcommand has --help."
# Commands that never reach the Hugging Face hub (the others probe it once and go offline when it is down).
OFFLINE_COMMANDS = ("tasks", "score", "leaderboard", "runs")


def _add_eval_parser(sub) -> None:
    from lawbench.evaluate import EvalConfig
    from lawbench.judge.client import JudgeOptions
    from lawbench.models.resolve import ModelOptions
    from lawbench.utils.dataclass_cli import add_options

    p = sub.add_parser(
        "eval",
        help="score a model on lawbench's task suite (lm-eval engine)",
        description="Score a model (local checkpoint, PEFT adapter, hub id, vLLM or an OpenAI-compatible server) "
        "on lawbench tasks. Results go to OUTPUT_DIR/RUN_NAME/; re-running an interrupted command resumes it.",
    )
    groups: dict = {}
    several = {"action": "append", "help": "checkpoint folder, PEFT adapter folder, hub id, or (api) a model name; "
               "repeat it to evaluate several models in one process (one run folder each; LoRA adapters of one "
               "base load that base once)"}
    add_options(p, ModelOptions, groups, overrides={"model": several})
    add_options(p, EvalConfig, groups)
    add_options(p, JudgeOptions, groups)
    groups["output"].add_argument("--json", action="store_true",
                                  help="print a JSON summary as the last line of stdout")
    p.set_defaults(func=cmd_eval)


def _add_score_parser(sub) -> None:
    p = sub.add_parser("score", help="re-score existing predictions without a model",
                       description="Re-score predictions: --task with a LawBench prediction file or a lawbench "
                       "samples_*.jsonl (LawBench ids like 3-4, or LawShift subtasks); without --task, a JSONL of "
                       "{prediction, reference} lines gets every text metric.")
    p.add_argument("--task", help="LawBench id (3-4, lawbench_oc_3_4), lawshift_<scenario>_<side> or lexeval_<i_j>; "
                   "default: from the file name (LawBench's 3-4.json, lawbench's samples_<task>_*.jsonl), "
                   "or text metrics for {prediction, reference} lines")
    p.add_argument("--predictions", required=True, help="prediction file")
    p.add_argument("--data-dir", help="folder holding the resources a scorer reads (2-1: ChERRANT's tables in "
                   "cherrant/); default: $LAWBENCH_DATA_DIR")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    p.set_defaults(func=cmd_score)


def _add_tasks_parser(sub) -> None:
    p = sub.add_parser("tasks", help="list task groups and subtasks",
                       description="List lawbench's task groups and subtasks.")
    p.add_argument("--path", action="store_true", help="print the lm-eval include path (for lm_eval --include_path)")
    p.add_argument("--json", action="store_true", help="print {group: [subtasks]} as JSON")
    p.set_defaults(func=cmd_tasks)


def _add_model_parser(sub) -> None:
    from lawbench.tiny.model import TinyModelConfig
    from lawbench.utils.dataclass_cli import add_options

    p = sub.add_parser("model", help="model utilities (init: build a tiny local model; merge: LoRA into its base)")
    msub = p.add_subparsers(dest="model_command", required=True, metavar="{init,merge}")
    i = msub.add_parser("init", help="build a tiny from-scratch Qwen2-style model with its own BPE tokenizer",
                        description="Build a tiny random-weight Qwen2-style model (~3-5M parameters) and a "
                        "byte-level BPE tokenizer trained on the fly; loads offline with AutoModelForCausalLM / "
                        "AutoTokenizer.")
    i.add_argument("--out", required=True, help="output folder (must be new or empty)")
    i.add_argument("--corpus", nargs="+",
                   help="UTF-8 text files to train the tokenizer on (default: built-in synthetic legal corpus)")
    add_options(i, TinyModelConfig)
    i.set_defaults(func=cmd_model_init)
    from lawbench.inference.merge import MergeConfig

    m = msub.add_parser("merge", help="merge a LoRA adapter into its base and save a plain checkpoint",
                        description="Merge a LoRA adapter into its base model and save weights, tokenizer, chat "
                        "template and lawbench_stage.json (lineage) to --out. Prefix / prompt-tuning adapters "
                        "cannot be merged (load them with --model ADAPTER).")
    add_options(m, MergeConfig)
    m.set_defaults(func=cmd_model_merge)


def _add_inference_parsers(sub) -> None:
    from lawbench.inference.chat import ChatConfig
    from lawbench.inference.generate import GenerateConfig
    from lawbench.inference.serve import ServeConfig
    from lawbench.models.resolve import ModelOptions
    from lawbench.utils.dataclass_cli import add_options

    for name, config, func, summary, description in (
        ("chat", ChatConfig, cmd_chat, "talk to a model in the terminal (streamed), or ask once with --message",
         "Interactive multi-turn chat with the model's chat template (/reset, /save FILE, /quit). --message "
         "TEXT (or standard input when it is not a terminal) prints one reply and exits; --case FILE[:INDEX] "
         "sends a LawShift case with evaluation's prompt and shows the parsed charge and term; --compare M2 asks "
         "a second model too."),
        ("generate", GenerateConfig, cmd_generate, "batch inference over a JSON Lines file (resumable)",
         "Answer every line of --input (JSON Lines with 'prompt' or 'messages'; other fields kept) and write "
         "it to --output with a 'prediction'. Batches run longest first; re-running resumes."),
        ("serve", ServeConfig, cmd_serve, "OpenAI-compatible server on vLLM or transformers serve",
         "Serve the model over an OpenAI-compatible API (vllm serve with vLLM + CUDA, else transformers serve; "
         "adapters served as LoRA modules or merged first). Prints the model name /v1/models lists; SIGINT or "
         "SIGTERM stop it."),
    ):
        p = sub.add_parser(name, help=summary, description=description)
        groups: dict = {}
        add_options(p, ModelOptions, groups)
        add_options(p, config, groups)
        p.set_defaults(func=func)


def _add_recipe_parser(sub) -> None:
    from lawbench.recipes.registry import RECIPE_NAMES

    # The recipe's own flags are parsed by TRL's parser (every TRL config field is a flag), so this
    # parser only picks the recipe and hands the rest over; `lawbench recipe sft --help` shows lawbench's
    # options and the common ones (lawbench.recipes.help), `--help-all` all of them.
    p = sub.add_parser("recipe", add_help=False,
                       help=f"train a checkpoint ({', '.join(RECIPE_NAMES)}), optionally evaluate it",
                       description="lawbench recipe NAME --model M --dataset D --output-dir OUT [--config YAML] "
                       "[--then-eval] [TRL / transformers training flags]; `lawbench recipe NAME --help` lists them.")
    p.add_argument("name", choices=RECIPE_NAMES, metavar="{" + ",".join(RECIPE_NAMES) + "}")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_recipe)


def _add_pipeline_parser(sub) -> None:
    p = sub.add_parser("pipeline", help="evaluate base, then train and evaluate each stage in order (resumable)",
                       description="Evaluate the model as stage `base`, then run the stages in order, each from its "
                       "parent's checkpoint, each evaluated on the same tasks. Layout: OUT/checkpoints/<stage>/, "
                       "OUT/runs/<stage>/, OUT/logs/<stage>.log. Re-running skips finished stages.")
    p.add_argument("--model", help="starting model (or `model:` in the config)")
    p.add_argument("--stages",
                   help="comma-separated, e.g. pt,sft,rs-sft,dpo,kto,rm,ppo,grpo (or `stages:` in the config)")
    p.add_argument("--output-dir", required=True, help="pipeline folder OUT")
    p.add_argument("--config", help="YAML: per-stage data and flags, parents, eval settings (see docs)")
    p.add_argument("--retrain-changed", action="store_true",
                   help="train again the finished stages whose configuration (or an ancestor's) changed, and the "
                   "stages after them (default: refuse)")
    p.set_defaults(func=cmd_pipeline)


def _add_leaderboard_parser(sub) -> None:
    p = sub.add_parser("leaderboard", help="build the static leaderboard site that compares training stages")
    lsub = p.add_subparsers(dest="leaderboard_command", required=True, metavar="{build}")
    b = lsub.add_parser("build", help="turn eval runs into a static site (opens from file:// or GitHub Pages)",
                        description="Read eval runs (results_*.json + samples_*.jsonl) from --runs and write a static "
                        "site to --out: overview with CIs and paired changes, LawShift statute-shift view, item "
                        "transitions, charts, run details and CSV/Markdown/LaTeX exports.")
    b.add_argument("--runs", required=True, action="append", metavar="DIR",
                   help="a folder with eval runs anywhere below it (OUT/runs, a recipe's OUT with "
                        "<stage>/eval/<stage>/, or one run folder); repeat it to combine folders into one site")
    b.add_argument("--out", required=True, help="site folder to write (index.html, exports/)")
    b.add_argument("--bootstrap-iters", type=int, default=1000, help="bootstrap resamples per CI (default: 1000)")
    b.add_argument("--seed", type=int, default=1234, help="bootstrap seed (default: 1234)")
    b.add_argument("--title", default="lawbench leaderboard", help="page title")
    b.add_argument("--published", default="lawbench", choices=("lawbench", "none"),
                   help="published results table shown as reference columns, without CIs (default: lawbench, "
                   "LawBench's zero-shot results.csv)")
    b.add_argument("--published-models", default="top5",
                   help="models of that table: top5 (its README's table, default), all, or names separated by commas")
    b.add_argument("--reference", action="append", default=[], metavar="DIR",
                   help="published prediction folders (DIR/<model>/ with LawBench <id>.json or LexEval "
                   "<Model>_<i_j>.jsonl files), re-scored and compared item by item with the stages; repeatable")
    b.add_argument("--data-dir", default=None,
                   help="data folder the --reference outputs are matched against (default: $LAWBENCH_DATA_DIR)")
    from lawbench.judge.client import JudgeOptions
    from lawbench.utils.dataclass_cli import add_options

    add_options(b, JudgeOptions)  # with a judge: stage-vs-parent win rates first (lawbench judge pairwise)
    b.set_defaults(func=cmd_leaderboard_build)


def _add_judge_parser(sub) -> None:
    from lawbench.judge.client import JudgeOptions
    from lawbench.utils.dataclass_cli import add_options

    p = sub.add_parser("judge", help="LLM-judge utilities (pairwise: judged win rates of each stage vs its parent)")
    jsub = p.add_subparsers(dest="judge_command", required=True, metavar="{pairwise}")
    w = jsub.add_parser("pairwise", help="judge each stage's answers against its parent's, in both orders",
                        description="For each run whose parent stage is among --runs, ask the judge which answer to "
                        "the same question is better (stage first, then parent first; disagreements are ties) on "
                        "every judged task; write win rates with 95%% bootstrap CIs to RUNS/judge_pairwise.json "
                        "(the site shows them). Judge calls are cached (a rerun makes none).")
    w.add_argument("--runs", required=True, action="append", metavar="DIR",
                   help="folder of eval run folders (e.g. OUT/runs); repeatable, as for leaderboard build")
    w.add_argument("--out", help="where to write the result (default: judge_pairwise.json in the first --runs)")
    w.add_argument("--bootstrap-iters", type=int, default=1000, help="bootstrap resamples per CI (default: 1000)")
    w.add_argument("--seed", type=int, default=1234, help="bootstrap seed (default: 1234)")
    add_options(w, JudgeOptions)
    w.set_defaults(func=cmd_judge_pairwise)


def _add_runs_parser(sub) -> None:
    p = sub.add_parser("runs", help="list the eval runs under folders: stage, parent, model, primary scores",
                       description="Find eval runs under each DIR (as `lawbench leaderboard build --runs` does) and "
                       "print one line per run: stage, parent, model, tasks, primary scores, when.")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="a run folder or a folder of runs (e.g. OUT/runs)")
    p.add_argument("--json", action="store_true", help="print {\"runs\": [...]} as the last line of stdout")
    p.set_defaults(func=cmd_runs)


def _add_demo_parser(sub) -> None:
    p = sub.add_parser("demo",
                       help="the whole loop offline on a CPU: tiny model, every training stage evaluated, site built",
                       description="Build a tiny model, evaluate it, train pt, sft, rs-sft, dpo, kto, rm, ppo and "
                       "grpo on small project-written data (or --data-dir), evaluate every stage, build the site. "
                       "Layout: OUT/checkpoints/<stage>/, OUT/runs/<stage>/, OUT/site/index.html. Resumable.")
    p.add_argument("--out", default="lawbench-demo", help="output folder (default: lawbench-demo)")
    p.add_argument("--data-dir", help="use the real datasets under this folder instead of the sample data")
    p.set_defaults(func=cmd_demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lawbench", description="Evaluate and train legal LLMs.", epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"lawbench {__version__}")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="lawbench's log level (lm-eval and transformers log warnings only unless DEBUG)")
    sub = parser.add_subparsers(dest="command", required=True,
                                metavar="{demo,eval,score,tasks,recipe,pipeline,leaderboard,runs,model,chat,generate,"
                                "serve,rag,judge}")
    _add_demo_parser(sub)
    _add_eval_parser(sub)
    _add_score_parser(sub)
    _add_recipe_parser(sub)
    _add_pipeline_parser(sub)
    _add_tasks_parser(sub)
    _add_model_parser(sub)
    _add_inference_parsers(sub)
    _add_leaderboard_parser(sub)
    from lawbench.rag.cli import add_rag_parser

    add_rag_parser(sub)
    _add_judge_parser(sub)
    _add_runs_parser(sub)
    return parser


# --------------------------------------------------------------------------- commands
def eval_configs(args) -> list:
    """One :class:`~lawbench.evaluate.EvalConfig` per ``--model`` (the other options shared)."""
    from lawbench.evaluate import EvalConfig
    from lawbench.judge.client import JudgeOptions
    from lawbench.models.resolve import ModelOptions
    from lawbench.utils.dataclass_cli import from_args

    judge = from_args(JudgeOptions, args)
    return [from_args(EvalConfig, args, model=from_args(ModelOptions, args, model=name), judge=judge)
            for name in args.model]


def cmd_eval(args) -> int:
    from lawbench.evaluate_many import run_evals
    from lawbench.report import print_summary

    runs = run_evals(eval_configs(args))
    summaries = []
    for run in runs:
        print_summary(run.results)
        print(f"results: {run.results_path}")
        headline = {name: {k: v for k, v in entry.items() if "," in k}
                    for name, entry in run.results["results"].items() if name in run.results.get("groups", {})}
        summaries.append({"run_dir": str(run.run_dir), "results": str(run.results_path), "groups": headline})
    if args.json:  # one model: its summary, as before; several: {"runs": [summary, ...]}
        print(json.dumps(summaries[0] if len(summaries) == 1 else {"runs": summaries}, ensure_ascii=False))
    return 0


def cmd_score(args) -> int:
    from lawbench.rescore import rescore

    result = rescore(args.task, args.predictions, args.data_dir)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    else:
        for key, value in result.items():
            print(f"{key:24s} {value:.6f}" if isinstance(value, float) else f"{key:24s} {value}")
    return 0


def cmd_tasks(args) -> int:
    from lawbench.tasks import TASKS_DIR

    if args.path:
        print(TASKS_DIR)
        return 0
    from lawbench.tasks.catalog import task_catalog

    catalog = task_catalog()
    if args.json:
        print(json.dumps(catalog, ensure_ascii=False))
        return 0
    for group, members in catalog["groups"].items():
        print(f"{group}  ({len(members)} members)")
        for member in members:
            print(f"  {member}")
    print(f"\n{len(catalog['subtasks'])} subtasks. lm-eval include path: {TASKS_DIR}")
    return 0


def cmd_recipe(args) -> int:
    if "--help-all" in args.args:  # TRL's parser: every flag (imports TRL, a few seconds)
        from lawbench.recipes.runner import full_help

        print(full_help(args.name))
        return 0
    if "-h" in args.args or "--help" in args.args:  # lawbench's options first, without importing TRL
        from lawbench.recipes.help import short_help

        print(short_help(args.name))
        return 0
    from lawbench.recipes.runner import main as recipe_main

    return recipe_main(args.name, args.args)


def cmd_pipeline(args) -> int:
    from pathlib import Path

    from lawbench.pipeline import make_plan, run_pipeline
    from lawbench.report import load_stage_runs, print_stage_table

    config = {}
    if args.config:
        import yaml

        from lawbench.utils.io import read_text_strict

        try:
            config = yaml.safe_load(read_text_strict(args.config)) or {}
        except yaml.YAMLError as err:
            raise LawbenchError(f"{args.config}: invalid YAML ({first_line(err)})") from None
        if not isinstance(config, dict):
            raise LawbenchError(f"{args.config}: expected a YAML mapping")
    plan = make_plan(args.model, args.stages, args.output_dir, config)
    plan.retrain_changed = plan.retrain_changed or args.retrain_changed
    status = run_pipeline(plan)
    print("stages: " + ", ".join(f"{name} ({state})" for name, state in status.items()))
    print_stage_table(load_stage_runs(Path(args.output_dir) / "runs", list(status)))
    return 0


def cmd_demo(args) -> int:
    from lawbench.demo.run import run_demo

    run_demo(args.out, args.data_dir)
    return 0


def cmd_model_init(args) -> int:
    from lawbench.tiny.model import TinyModelConfig, init_tiny_model
    from lawbench.utils.dataclass_cli import from_args

    out = init_tiny_model(args.out, from_args(TinyModelConfig, args), corpus=args.corpus)
    print(f"tiny model written to {out}")
    return 0


def cmd_model_merge(args) -> int:
    from lawbench.inference.merge import MergeConfig, merge_to_folder
    from lawbench.utils.dataclass_cli import from_args

    config = from_args(MergeConfig, args)
    out = merge_to_folder(config.adapter, config.out, base_model=config.base_model, dtype=config.dtype,
                          trust_remote_code=config.trust_remote_code)
    print(f"merged checkpoint written to {out}")
    return 0


def cmd_chat(args) -> int:
    from lawbench.inference.chat import ChatConfig, run_chat
    from lawbench.models.resolve import ModelOptions
    from lawbench.utils.dataclass_cli import from_args

    return run_chat(from_args(ChatConfig, args, model=from_args(ModelOptions, args)))


def cmd_generate(args) -> int:
    from lawbench.inference.generate import GenerateConfig, run_generate
    from lawbench.models.resolve import ModelOptions
    from lawbench.utils.dataclass_cli import from_args

    done = run_generate(from_args(GenerateConfig, args, model=from_args(ModelOptions, args)))
    print(f"{done['output']}: {done['generated']} generated, {done['skipped']} already there, {done['total']} lines")
    return 0


def cmd_serve(args) -> int:
    from lawbench.inference.serve import ServeConfig, run_serve
    from lawbench.models.resolve import ModelOptions
    from lawbench.utils.dataclass_cli import from_args

    return run_serve(from_args(ServeConfig, args, model=from_args(ModelOptions, args)))


def cmd_leaderboard_build(args) -> int:
    from lawbench.leaderboard import build_site

    if args.bootstrap_iters < 100:
        raise LawbenchError("--bootstrap-iters must be at least 100 for a 95% interval")
    judge = _judge_options(args)
    if judge.enabled:
        from lawbench.judge.pairwise import pairwise_runs

        written = pairwise_runs(args.runs, judge, iters=args.bootstrap_iters, seed=args.seed)
        print(f"judged win rates written to {written}")
    from lawbench.leaderboard.reference import published_runs, reference_runs

    references = []
    if args.published != "none":
        models = args.published_models
        models = models if models in ("top5", "all") else [m.strip() for m in models.split(",") if m.strip()]
        references += published_runs(models, args.published)
    for folder in args.reference:
        references += reference_runs(folder, args.data_dir)
    index = build_site(args.runs, args.out, iters=args.bootstrap_iters, seed=args.seed, title=args.title,
                       references=references)
    print(f"leaderboard written to {index}")
    return 0


def _judge_options(args):
    from lawbench.judge.client import JudgeOptions
    from lawbench.utils.dataclass_cli import from_args

    return from_args(JudgeOptions, args)


def cmd_judge_pairwise(args) -> int:
    from lawbench.judge.pairwise import pairwise_runs

    judge = _judge_options(args)
    if not judge.enabled:
        raise LawbenchError("lawbench judge pairwise needs --judge-base-url and --judge-model")
    if args.bootstrap_iters < 100:
        raise LawbenchError("--bootstrap-iters must be at least 100 for a 95% interval")
    path = pairwise_runs(args.runs, judge, iters=args.bootstrap_iters, seed=args.seed, out=args.out)
    print(f"judged win rates written to {path}")
    return 0


def cmd_runs(args) -> int:
    from lawbench.leaderboard.summary import main as runs_main

    return runs_main(args.dirs, as_json=args.json)


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("lawbench").setLevel(level)
    noisy_level = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in ("lm_eval", "lm-eval", "transformers", "datasets", "httpx"):
        logging.getLogger(name).setLevel(noisy_level)


def recipe_help() -> str:
    """``lawbench recipe --help``: the recipes from the registry (TRL's parser needs a recipe name)."""
    from lawbench.recipes.registry import RECIPES

    names = ",".join(RECIPES)
    lines = [f"usage: lawbench recipe {{{names}}} --model M --dataset D --output-dir OUT [--config YAML]",
             "       [--then-eval [--tasks T] [--limit N] [--data-dir DIR]] [TRL / transformers flags]", "",
             "Train a checkpoint with TRL and optionally evaluate it. `lawbench recipe NAME --help` lists lawbench's",
             "options and the common training flags; `--help-all` every flag (TRL config, ModelConfig for LoRA)."]
    lines += [f"  {recipe.name:7s} {recipe.summary}" for recipe in RECIPES.values()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["recipe"] and (len(argv) == 1 or argv[1] in ("-h", "--help")):
            print(recipe_help())  # the recipe parser hands --help to TRL's parser, which needs a recipe name
            return 0
        args = build_parser().parse_args(argv)
        _setup_logging(args.log_level)
        if args.command not in OFFLINE_COMMANDS:
            from lawbench.utils.offline import go_offline_if_unreachable

            go_offline_if_unreachable()  # before any Hugging Face library reads HF_HUB_OFFLINE
        return args.func(args)
    except LawbenchError as err:
        print(f"lawbench: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `lawbench tasks | head`: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        print("lawbench: interrupted; finished requests are cached, re-run the same command to resume",
              file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the one top-level handler: one line, never a traceback
        if os.environ.get("LAWBENCH_TRACEBACK") or "DEBUG" in argv:
            raise
        message, status = unexpected_error_line(err)
        print(f"lawbench: error: {message}", file=sys.stderr)
        return status


def unexpected_error_line(err: Exception) -> tuple[str, int]:
    """One line (and the exit status) for an error that no lawbench check turned into a :class:`LawbenchError`.

    Files the system refuses (missing, a file where a folder should be, a full disk, no permission) and
    damaged SQLite files are the user's to fix (status 2); anything else is reported as unexpected (status
    1) with a hint to see the traceback (``LAWBENCH_TRACEBACK=1`` or ``--log-level DEBUG``).

    >>> unexpected_error_line(NotADirectoryError(20, "Not a directory", "site/index.html"))
    ('site/index.html: Not a directory', 2)
    >>> unexpected_error_line(OSError(28, "No space left on device"))[0]
    'No space left on device; free some space or write elsewhere'
    """
    import errno
    import sqlite3

    if isinstance(err, OSError):
        where = " -> ".join(str(f) for f in (err.filename, err.filename2) if f is not None)
        reason = err.strerror or first_line(err)
        if err.errno == errno.ENOSPC:
            reason += "; free some space or write elsewhere"
        return (f"{where}: {reason}" if where else reason), 2
    if isinstance(err, sqlite3.DatabaseError):
        return (f"a database file cannot be used ({first_line(err)}); if it is a request cache (RUN/cache/*.db), "
                "delete it or re-run with --no-cache"), 2
    return (f"unexpected {type(err).__name__}: {first_line(err, limit=300)} "
            "(set LAWBENCH_TRACEBACK=1 to see where; please report it)"), 1


if __name__ == "__main__":
    raise SystemExit(main())
