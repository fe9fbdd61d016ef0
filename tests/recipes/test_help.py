"""`lawbench recipe NAME --help`: lawbench's options first, without importing TRL; `--help-all`: every flag."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from lawbench.recipes.help import COMMON_TRAINING_FLAGS, short_help

HEAVY = ("torch", "transformers", "trl", "peft", "datasets", "lm_eval")


def test_short_help_imports_no_training_library():
    """What keeps it under a second (bench/cli_startup.py measures it): TRL and transformers stay unloaded."""
    code = ("import contextlib, io, sys\nfrom lawbench.cli import main\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n    status = main(['recipe', 'rs-sft', '--help'])\n"
            f"print(status, [m for m in {HEAVY!r} if m in sys.modules])\nprint(out.getvalue())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    first, text = done.stdout.split("\n", 1)
    assert first == "0 []", done.stdout + done.stderr
    assert text.index("--then_eval") < text.index("--rs_num_samples") < text.index("--peft_type") < \
        text.index("--learning_rate")
    assert "--help-all" in text


@pytest.mark.parametrize("name", ["sft", "ppo"])
def test_no_doubled_defaults(name):
    assert "(default: None)" not in short_help(name)
    assert not re.search(r"default:[^()]*\)\.? *\(default:", short_help(name).replace("\n", " "))


@pytest.mark.parametrize("name", ["sft", "ppo"])  # a TRL config and lawbench's own TrainingArguments subclass
def test_full_help_has_every_common_flag_and_lawbench_first(name):
    from lawbench.recipes.runner import full_help, make_parser

    flags = make_parser(name, for_help=True)._option_string_actions
    missing = [flag for flag, _ in COMMON_TRAINING_FLAGS if flag != "--config" and flag not in flags]
    assert not missing, f"short help names flags {name} does not have: {missing}"
    text = full_help(name)
    assert text.index("lawbench options:") < text.index("(TRL / transformers training flags):")
    one_line = re.sub(r"\s+", " ", text)
    assert "(default: None)" not in one_line and "(default: $LAWBENCH_DATA_DIR). (default" not in one_line
