"""Every runnable example in lawbench's docstrings runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import lawbench

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(lawbench.__path__, "lawbench.")
    # lm-eval task hooks are loaded by path, not as modules; the CLI entry point runs on import
    if ".tasks." not in name or name.endswith(("data", "scenarios", "select", "catalog", "primary"))
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"
