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

import re
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import ModelError

BACKENDS = ("hf", "vllm", "api")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


@dataclass
class ModelOptions:
    """Everything ``lawbench eval`` accepts about the model (CLI flags map 1:1 onto these)."""

    model: str
    backend: str = "hf"
    base_model: str | None = None  # base of a PEFT adapter, overriding adapter_config.json
    base_url: str | None = None  # --backend api: OpenAI-compatible server, e.g. http://localhost:8000/v1
    load_in_4bit: bool = False  # bitsandbytes NF4 (CUDA only)
    trust_remote_code: bool = False
    device: str | None = None  # None: cuda if available, else cpu
    dtype: str = "auto"  # auto: bfloat16 on CUDA (float16 without bf16 support), float32 on CPU
    batch_size: int | str | None = None  # None: 8 on CUDA, 1 on CPU
    max_length: int | None = None  # context length override
    revision: str | None = None  # hub revision of the model
    chat_template: bool = True  # apply the tokenizer's chat template when it has one
    num_concurrent: int = 1  # --backend api: parallel requests
    prefix_cache: bool = True  # hf, batch 1: prefill the prompts' shared beginning once


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

