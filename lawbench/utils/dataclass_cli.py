"""Command-line options declared once, on dataclass fields (the way TRL's configs carry ``help``).

A field made with :func:`option` carries its default, its help text and, where the flag is not simply
``--field-name``, its spelling. :func:`add_options` turns the fields into argparse options and
:func:`from_args` builds the dataclass back from the parsed namespace, so a command's defaults and
help live in one place: the dataclass that the rest of lawbench uses.

Why not ``transformers.HfArgumentParser`` (what TRL uses)? Importing transformers takes seconds and
``lawbench --help`` must answer at once; and lawbench's documented flags are dashed (``--run-name``,
``--no-cache``), which that parser does not spell.

Example:
    >>> import argparse
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Demo:
    ...     model: str = option(help="model folder")
    ...     batch_size: int = option(8, help="prompts per forward pass")
    ...     use_cache: bool = option(True, flag="--no-cache", help="recompute every request")
    >>> parser = argparse.ArgumentParser()
    >>> add_options(parser, Demo)
    >>> from_args(Demo, parser.parse_args(["--model", "m", "--batch-size", "2", "--no-cache"]))
    Demo(model='m', batch_size=2, use_cache=False)
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import Any

_SIMPLE_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str}


def option(default: Any = dataclasses.MISSING, *, help: str, flag: str | None = None, group: str | None = None,
           choices: tuple | None = None, type: Callable[[str], Any] | None = None, metavar: str | None = None,
           nargs: str | None = None, cli: bool = True) -> Any:
    """A dataclass field that is also a command-line option.

    ``flag`` overrides the spelling (``--no-x`` for a field that defaults to True); ``group`` names the
    ``--help`` section; ``type`` parses the text (checked types raise ``argparse.ArgumentTypeError``);
    ``cli=False`` keeps a field off the command line (set by code, e.g. recipes).
    """
    metadata = {"help": help, "flag": flag, "group": group, "choices": choices, "type": type, "metavar": metavar,
                "nargs": nargs, "cli": cli}
    return dataclasses.field(default=default, metadata=metadata)


def _flag(field: dataclasses.Field) -> str:
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def _parse_type(field: dataclasses.Field) -> Callable[[str], Any] | None:
    if field.metadata.get("type"):
        return field.metadata["type"]
    # `from __future__ import annotations` leaves annotations as text: "int", "int | None", "str | None"
    names = [part.strip() for part in str(field.type).split("|") if part.strip() != "None"]
    return _SIMPLE_TYPES.get(names[0]) if len(names) == 1 else None


def _help(field: dataclasses.Field) -> str:
    text = field.metadata["help"]
    default = field.default
    if default is dataclasses.MISSING or default is None or isinstance(default, bool) or "default:" in text:
        return text
    return f"{text} (default: {default})"


def cli_fields(cls) -> list[dataclasses.Field]:
    """The fields of ``cls`` that are command-line options."""
    return [f for f in dataclasses.fields(cls) if f.metadata.get("help") is not None and f.metadata.get("cli", True)]


def add_options(parser: argparse.ArgumentParser, cls, groups: dict[str, Any] | None = None, *,
                overrides: dict[str, dict[str, Any]] | None = None) -> None:
    """Add an option per :func:`option` field of ``cls`` to ``parser`` (in sections by ``group``).

    ``overrides`` changes argparse settings of some fields for this parser only, e.g.
    ``{"model": {"action": "append", "help": "..."}}`` where one command takes the option several times.
    """
    groups = {} if groups is None else groups
    for field in cli_fields(cls):
        group_name = field.metadata.get("group")
        target = parser
        if group_name:
            if group_name not in groups:
                groups[group_name] = parser.add_argument_group(group_name)
            target = groups[group_name]
        kwargs: dict[str, Any] = {"dest": field.name, "help": _help(field)}
        if not isinstance(field.default, bool):  # `--layers LAYERS`, not the field's name
            kwargs["metavar"] = _flag(field).lstrip("-").replace("-", "_").upper()
        if isinstance(field.default, bool):
            kwargs["action"] = "store_false" if field.default else "store_true"
        else:
            for key in ("choices", "metavar", "nargs"):
                if field.metadata.get(key) is not None:
                    kwargs[key] = field.metadata[key]
            kwargs["type"] = _parse_type(field)
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                kwargs["required"] = True
        # Defaults stay in the dataclass: an option left out is simply not passed on (see from_args).
        kwargs["default"] = argparse.SUPPRESS
        kwargs.update((overrides or {}).get(field.name, {}))
        target.add_argument(_flag(field), **kwargs)


def from_args(cls, namespace: argparse.Namespace, **values: Any):
    """``cls`` built from the options given on the command line (plus ``values``); the rest keep their defaults."""
    given = {f.name: getattr(namespace, f.name) for f in cli_fields(cls) if hasattr(namespace, f.name)}
    return cls(**{**given, **values})
