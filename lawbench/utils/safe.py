"""Names that cannot escape their folder, deletions that stay inside ``checkpoints/``, URLs without secrets.

Run names, stage names and every other name a user (or a YAML file, or someone else's run folder) gives
become folder names. They must match :data:`NAME_RE` and the path they give must resolve inside its
parent folder, so ``..``, ``/abs/path``, ``a/b`` or a symlink pointing elsewhere are refused with one line.

Examples:
    >>> check_name("rs-sft", "stage"), check_name("qwen2.5-7b_sft", "--run-name")
    ('rs-sft', 'qwen2.5-7b_sft')
    >>> check_name("..", "stage")
    Traceback (most recent call last):
    ...
    lawbench.errors.LawbenchError: stage '..' is not a valid name: use letters, digits, '_', '.' and '-', starting with a letter or digit (no '/', no '..')
    >>> scrub_url("https://user:token@api.example.com:8443/v1/chat/completions?key=abc#x")
    'https://api.example.com:8443/v1/chat/completions'
    >>> scrub_argv(["lawbench", "eval", "--base-url", "http://u:p@h/v1?k=1", "--api-key=sk-123"])
    ['lawbench', 'eval', '--base-url', 'http://h/v1', '--api-key=***']
"""  # noqa: E501

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from lawbench.errors import LawbenchError
from lawbench.recipes.registry import STAGE_FILE

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
NAME_RULE = "use letters, digits, '_', '.' and '-', starting with a letter or digit (no '/', no '..')"
# Files a Hugging Face / TRL trainer writes into its output folder and its checkpoint-N folders.
TRAINER_FILES = ("trainer_state.json", "config.json", "adapter_config.json", "training_args.bin",
                 "model.safetensors", "adapter_model.safetensors", STAGE_FILE, "value_head.safetensors")
SECRET_FLAG = re.compile(r"^--?[\w-]*(key|token|secret|password)[\w-]*$", re.IGNORECASE)


def check_name(name: str, what: str) -> str:
    """``name`` when it is a safe single folder name, else a one-line :class:`LawbenchError`."""
    if not isinstance(name, str) or not NAME_RE.match(name) or name in (".", "..") or len(name) > 255:
        raise LawbenchError(f"{what} {name!r} is not a valid name: {NAME_RULE}")
    return name


def child_path(parent: str | Path, name: str, what: str) -> Path:
    """``parent / name`` after checking ``name``, and only when it resolves inside ``parent``.

    >>> child_path("runs", "base", "--run-name").as_posix()
    'runs/base'
    """
    check_name(name, what)
    path = Path(parent) / name
    root = Path(parent).resolve()
    resolved = path.resolve()
    if resolved.parent != root:  # a symlink planted in the folder may still point elsewhere
        raise LawbenchError(f"{what} {name!r}: {path} resolves to {resolved}, outside {root}; "
                            "remove the link or choose another name")
    return path


def looks_like_trainer_output(folder: Path) -> bool:
    """Whether ``folder`` holds only what a trainer writes (files above, ``checkpoint-N``, tokenizer...).

    An empty folder counts: an interrupted stage may not have saved anything yet.
    """
    if not folder.is_dir() or folder.is_symlink():
        return False
    entries = list(folder.iterdir())
    if not entries:
        return True
    names = {p.name for p in entries}
    return bool(names & set(TRAINER_FILES)) or any(re.fullmatch(r"checkpoint-\d+", n) for n in names)


def remove_trainer_output(folder: Path, checkpoints: Path) -> None:
    """Delete ``folder``, but only if it sits directly in ``checkpoints`` and looks like trainer output."""
    folder, checkpoints = Path(folder), Path(checkpoints)
    inside = folder.resolve().parent == checkpoints.resolve() and not folder.is_symlink()
    if not inside or not looks_like_trainer_output(folder):
        raise LawbenchError(f"refusing to delete {folder}: only trainer output folders directly inside {checkpoints} "
                            "are removed; move it away by hand if it should go")
    shutil.rmtree(folder)


def scrub_url(url: str) -> str:
    """``url`` without user, password, query string or fragment (what a published page may show)."""
    if not isinstance(url, str) or "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<url removed>"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def scrub_argv(argv: list[str]) -> list[str]:
    """A command line with URLs scrubbed and the values of ``--*key*`` / ``--*token*`` flags hidden."""
    out: list[str] = []
    hide_next = False
    for arg in map(str, argv):
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        flag, eq, value = arg.partition("=")
        if SECRET_FLAG.match(flag):
            if eq:
                out.append(f"{flag}=***")
            else:
                out.append(arg)
                hide_next = True
            continue
        out.append(f"{flag}={scrub_url(value)}" if eq and flag.startswith("-") else scrub_url(arg))
    return out


_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


def scrub_urls(obj):
    """``obj`` (JSON-like) with every string that is a URL passed through :func:`scrub_url`.

    >>> scrub_urls({"model": {"base_url": "http://me:secret@host:8000/v1"}, "n": 1, "text": "see http://x?a"})
    {'model': {'base_url': 'http://host:8000/v1'}, 'n': 1, 'text': 'see http://x?a'}
    """
    if isinstance(obj, str):
        return scrub_url(obj) if _URL_RE.match(obj) else obj
    if isinstance(obj, dict):
        return {k: scrub_urls(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_urls(v) for v in obj]
    return obj
