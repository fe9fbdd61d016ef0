"""CLI surface: fast help without heavy imports, `lawbench tasks`, argument errors."""

from __future__ import annotations

import json
import subprocess
import sys

from lawbench.tasks import TASKS_DIR
from tests.support import lawbench

HEAVY = ("torch", "transformers", "lm_eval", "trl", "datasets", "peft")


def test_help_imports_no_heavy_library():
    code = ("import sys; from lawbench.cli import build_parser; import contextlib, io\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: build_parser().parse_args(['--help'])\n"
            "    except SystemExit: pass\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_help_lists_the_commands():
    done = lawbench("--help")
    assert done.returncode == 0
    for command in ("eval", "tasks", "model"):
        assert command in done.stdout
    eval_help = lawbench("eval", "--help").stdout
    for flag in ("--model", "--tasks", "--data-dir", "--limit", "--batch-size", "--gen-kwargs", "--backend",
                 "--output-dir", "--run-name", "--stage", "--base-model", "--load-in-4bit", "--base-url",
                 "--no-chat-template", "--trust-remote-code"):
        assert flag in eval_help


def test_tasks_command():
    done = lawbench("tasks")
    assert done.returncode == 0 and "lawshift_original  (31 members)" in done.stdout
    assert lawbench("tasks", "--path").stdout.strip() == str(TASKS_DIR)
    catalog = json.loads(lawbench("tasks", "--json").stdout)
    assert len([t for t in catalog["subtasks"] if t.startswith("lawshift_")]) == 62
    assert "jecqa_multi_gen" in catalog["subtasks"] and "cmmlu_legal" in catalog["groups"]
    assert len(catalog["groups"]["lexeval"]) == 6 and "lexeval_5_4" in catalog["groups"]["lexeval_generation"]


def test_argument_errors_exit_nonzero():
    assert lawbench("eval").returncode == 2  # --model is required
    bad = lawbench("eval", "--model", "m", "--limit", "lots")
    assert bad.returncode == 2 and "--limit takes a number" in bad.stderr


def _subparser(parser, *path):
    import argparse

    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def test_every_eval_and_model_init_option_has_help():
    from lawbench.cli import build_parser

    parser = build_parser()
    for path in (("eval",), ("model", "init")):
        options = [a for a in _subparser(parser, *path)._actions if a.option_strings]
        missing = [a.option_strings[0] for a in options if not (a.help or "").strip()]
        assert len(options) > 5 and not missing, (path, missing)


def test_eval_defaults_come_from_the_dataclasses():
    from lawbench.cli import build_parser, eval_configs
    from lawbench.evaluate import EvalConfig
    from lawbench.models.resolve import ModelOptions

    args = build_parser().parse_args(["eval", "--model", "m", "--no-cache", "--batch-size", "auto", "--limit", "0.5"])
    [config] = eval_configs(args)
    assert config == EvalConfig(model=ModelOptions("m", batch_size="auto"), use_cache=False, limit=0.5)
    several = eval_configs(build_parser().parse_args(["eval", "--model", "a", "--model", "b", "--limit", "2"]))
    assert [(c.model.model, c.limit) for c in several] == [("a", 2), ("b", 2)]
    assert config.seed == 1234 and config.tasks == "lawshift" and config.model.prefix_cache
