"""Hostile inputs for the hardening tests: JSON values that break assumptions, and ways to mutate a file.

``mutate(value, path, replacement)`` puts ``replacement`` at ``path`` (a list of keys / indices) inside
a JSON value; the hypothesis strategies draw such paths and replacements. ``run_cli(argv)`` calls
``lawbench.cli.main`` in-process and returns ``(status, stdout, stderr)``.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from hypothesis import strategies as st

from lawbench.cli import main

# Leaves and containers that the readers must survive: wrong types, NaN / Infinity, huge and odd numbers.
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                   st.sampled_from(["N/A", "../../etc/passwd", "=HYPERLINK(\"http://x\")", "http://u:p@h/?k=1"]))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)


def paths_into(value, prefix=()) -> list[tuple]:
    """Every path to a sub-value of ``value`` (the root included)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, sub in value.items():
            found += paths_into(sub, (*prefix, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value[:4]):
            found += paths_into(sub, (*prefix, index))
    return found


def mutate(value, path: tuple, replacement):
    """``value`` with the sub-value at ``path`` replaced (a new object; ``path == ()`` replaces all)."""
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: mutate(value[head], rest, replacement)}
    copy = list(value)
    copy[head] = mutate(value[head], rest, replacement)
    return copy


def dump(value) -> str:
    """JSON as Python writes it (NaN and Infinity included: other tools write them too)."""
    return json.dumps(value, ensure_ascii=False)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse
            status = exc.code if isinstance(exc.code, int) else 1
    return status, out.getvalue(), err.getvalue()


def mutate_file(path: Path, data) -> None:
    """Rewrite ``path`` (JSON or JSON Lines) after a draw from ``data`` (hypothesis's ``st.data()``)."""
    try:
        text = path.read_text(encoding="utf-8")
        parsed = [json.loads(line) for line in text.splitlines() if line.strip()] if path.suffix == ".jsonl" \
            else json.loads(text)
    except ValueError:  # already broken by an earlier mutation
        return
    kind = data.draw(st.sampled_from(["value", "value", "value", "truncate", "bytes"]))
    if kind == "truncate":
        path.write_text(text[:data.draw(st.integers(0, len(text)))], encoding="utf-8")
        return
    if kind == "bytes":
        path.write_bytes(data.draw(st.binary(max_size=40)))
        return
    if path.suffix == ".jsonl":
        lines = parsed
        index = data.draw(st.integers(0, max(len(lines) - 1, 0)))
        target = lines[index] if lines else {}
        where = data.draw(st.sampled_from(paths_into(target)))
        lines[index:index + 1] = [mutate(target, where, data.draw(VALUES))]
        path.write_text("\n".join(dump(line) for line in lines) + "\n", encoding="utf-8")
    else:
        value = parsed
        where = data.draw(st.sampled_from(paths_into(value)))
        path.write_text(dump(mutate(value, where, data.draw(VALUES))), encoding="utf-8")
