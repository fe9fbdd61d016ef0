"""Turn ``--model`` (plus backend flags) into what to load, before anything heavy is imported.

Accepted forms:

* a local Hugging Face checkpoint folder (``config.json``);
* a PEFT adapter folder (``adapter_config.json``): the base model comes from the adapter's
  ``base_model_name_or_path`` or from ``--base-model``;
* a hub id such as ``Qwen/Qwen2.5-7B-Instruct`` (downloaded as usual where a hub is reachable);
* with ``--backend api``: the model name an OpenAI-compatible server knows, plus ``--base-url``.

Errors are one line and say what to do: a missing path, a folder that is neither a checkpoint nor
an adapter, an adapter whose base cannot be found.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import ModelError
from lawbench.utils.dataclass_cli import option

BACKENDS = ("hf", "vllm", "api")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


def parse_batch_size(text: str) -> int | str:
    """``--batch-size``: a whole number >= 1, or lm-eval's ``auto`` / ``auto:N``."""
    if text == "auto" or text.startswith("auto:"):
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--batch-size takes an integer or 'auto', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("--batch-size must be >= 1")
    return value


@dataclass
class ModelOptions:
    """Everything ``lawbench eval`` (and chat, generate, serve) accepts about the model: one field per flag."""

    model: str = option(help="checkpoint folder, PEFT adapter folder, hub id, or (api) a model name", group="model")
    backend: str = option("hf", choices=BACKENDS, help="inference engine", group="model")
    base_model: str | None = option(
        None, help="base of a PEFT adapter (default: from adapter_config.json)", group="model")
    base_url: str | None = option(
        None, help="--backend api: OpenAI-compatible server, e.g. http://localhost:8000/v1 (key: $OPENAI_API_KEY)",
        group="model")
    load_in_4bit: bool = option(False, help="bitsandbytes NF4 quantisation (CUDA only)", group="model")
    trust_remote_code: bool = option(False, help="allow the model repository's own code to run", group="model")
    device: str | None = option(None, help="cpu, cuda, cuda:1 ... (default: cuda if available)", group="model")
    dtype: str = option("auto", choices=("auto", "float32", "bfloat16", "float16"), group="model",
                        help="auto: bfloat16 on CUDA (float16 without bf16 support), float32 on CPU")
    batch_size: int | str | None = option(
        None, type=parse_batch_size, group="model",
        help="requests per forward pass, or 'auto' (default: 8 on CUDA, 1 on CPU)")
    max_length: int | None = option(None, help="context length override", group="model")
    revision: str | None = option(None, help="hub revision of the model", group="model")
    chat_template: bool = option(True, flag="--no-chat-template", group="model",
                                 help="send raw prompts even when the tokenizer has a chat template")
    num_concurrent: int = option(1, help="--backend api: parallel requests", group="model")
    prefix_cache: bool = option(
        True, flag="--no-prefix-cache", group="model",
        help="hf, batch size 1: do not reuse the key/value cache of the prompts' shared beginning")


@dataclass
class ResolvedModel:
    """What to load: ``kind`` is checkpoint, adapter, hub or api."""

    kind: str
    path: str  # checkpoint folder, hub id, or (adapter) the base model
    adapter: str | None = None  # adapter folder when kind == "adapter"

    @property
    def display_name(self) -> str:
        return self.adapter or self.path


def looks_like_hub_id(name: str) -> bool:
    """``org/name`` with no leading ``.``, ``/`` or ``~`` and exactly one slash."""
    return bool(_HUB_ID.match(name)) and not name.startswith((".", "~"))


def read_adapter_base(adapter_dir: Path) -> str | None:
    from lawbench.utils.io import read_json_strict

    config = read_json_strict(adapter_dir / "adapter_config.json")
    if not isinstance(config, dict):
        raise ModelError(f"{adapter_dir / 'adapter_config.json'}: expected a JSON object")
    return config.get("base_model_name_or_path")


def _resolve_base(adapter_dir: Path, base: str | None) -> str:
    if not base:
        raise ModelError(
            f"{adapter_dir}: adapter_config.json names no base model; pass --base-model PATH_OR_HUB_ID"
        )
    if Path(base).expanduser().is_dir():
        return str(Path(base).expanduser().resolve())
    beside = (adapter_dir / base).resolve()
    if beside.is_dir():  # a base recorded relative to the adapter
        return str(beside)
    if looks_like_hub_id(base):
        return base
    raise ModelError(
        f"base model '{base}' of adapter {adapter_dir} not found; pass --base-model PATH_OR_HUB_ID"
    )


def resolve_model(options: ModelOptions) -> ResolvedModel:
    """Classify ``options.model`` and check it exists (no network, no heavy imports)."""
    if options.backend not in BACKENDS:
        raise ModelError(f"unknown backend '{options.backend}'; choose one of {', '.join(BACKENDS)}")
    name = options.model
    if options.backend == "api":
        if not options.base_url:
            raise ModelError("--backend api needs --base-url (an OpenAI-compatible server, e.g. http://localhost:8000/v1)")
        return ResolvedModel("api", name)
    if options.base_url:
        raise ModelError("--base-url is only used with --backend api")
    path = Path(name).expanduser()
    if path.is_dir():
        if (path / "adapter_config.json").is_file():
            base = _resolve_base(path, options.base_model or read_adapter_base(path))
            return ResolvedModel("adapter", base, adapter=str(path.resolve()))
        if (path / "config.json").is_file():
            if options.base_model:
                raise ModelError(f"--base-model is for PEFT adapters, but {path} is a full checkpoint")
            return ResolvedModel("checkpoint", str(path.resolve()))
        raise ModelError(f"{path} holds neither config.json (a checkpoint) nor adapter_config.json (a PEFT adapter)")
    if path.exists():
        raise ModelError(f"{path} is a file; --model takes a checkpoint folder, an adapter folder or a hub id")
    if looks_like_hub_id(name):
        return ResolvedModel("hub", name)
    raise ModelError(f"model not found: {name} (no such folder, and not a hub id like org/name)")

