"""``lawbench model merge``: a LoRA adapter merged into its base, saved as a plain checkpoint.

    lawbench model merge --adapter out/sft --out out/sft-merged [--base-model Qwen/Qwen2.5-7B-Instruct] \\
        [--dtype bfloat16]

The result loads anywhere a checkpoint does (``vllm serve``, ``transformers serve``, lm-eval, other tools):
weights, tokenizer and chat template, plus ``lawbench_stage.json`` recording the adapter's stage and where
the weights came from. It is written to a temporary folder beside ``--out`` and renamed at the end, so an
interrupted merge leaves nothing half-written. Prompt-learning adapters (prefix, P-Tuning, prompt tuning)
add virtual tokens rather than weight deltas: they cannot be merged (one-line error); load them with
``--model ADAPTER`` instead.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lawbench import __version__
from lawbench.errors import ModelError
from lawbench.recipes.registry import STAGE_FILE
from lawbench.utils.dataclass_cli import option


@dataclass
class MergeConfig:
    """``lawbench model merge`` flags."""

    adapter: str = option(help="PEFT LoRA adapter folder (adapter_config.json)")
    out: str = option(help="folder for the merged checkpoint (must be new or empty)")
    base_model: str | None = option(None, help="base model (default: the adapter's base_model_name_or_path)")
    dtype: str = option("auto", choices=("auto", "float32", "bfloat16", "float16"),
                        help="dtype of the saved weights; auto: the base checkpoint's own")
    trust_remote_code: bool = option(False, help="allow the base model repository's own code to run")


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ModelError(f"--out {out} exists and is not an empty folder; choose a new one")


def merge_to_folder(adapter: str, out: str | Path, *, base_model: str | None = None, dtype: str = "auto",
                    trust_remote_code: bool = False) -> Path:
    """Merge ``adapter`` into its base and save the checkpoint in ``out`` (see the module docstring)."""
    from lawbench.models.load import adapter_peft_type, is_prompt_learning, load_pretrained, merge_adapter
    from lawbench.models.resolve import ModelOptions, resolve_model
    from lawbench.utils.io import atomic_write_json, read_json_strict

    out = Path(out)
    _check_out(out)
    adapter_dir = Path(adapter)
    if not (adapter_dir / "adapter_config.json").is_file():
        what = "a full checkpoint, nothing to merge" if (adapter_dir / "config.json").is_file() else "not found"
        raise ModelError(f"--adapter {adapter}: no adapter_config.json ({what})")
    resolved = resolve_model(ModelOptions(str(adapter_dir), base_model=base_model,
                                          trust_remote_code=trust_remote_code))
    if is_prompt_learning(resolved.adapter):
        raise ModelError(f"adapter {adapter} is {adapter_peft_type(resolved.adapter).lower()}: virtual tokens, no "
                         "weight deltas to merge; use it as it is (lawbench chat / generate / eval --model ADAPTER)")
    model, tokenizer = load_pretrained(resolved, dtype=None if dtype == "auto" else dtype,
                                       trust_remote_code=trust_remote_code)
    if model.get_input_embeddings().weight.shape[0] != len(tokenizer):
        model.resize_token_embeddings(len(tokenizer))  # adapters trained with added tokens
    try:
        merged = merge_adapter(model, resolved.adapter)
    except (ValueError, KeyError, RuntimeError) as err:
        from lawbench.errors import first_line

        raise ModelError(f"cannot merge adapter {adapter} into {resolved.path}: {first_line(err)}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        merged.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)  # with its chat template
        stage_path = Path(resolved.adapter) / STAGE_FILE
        lineage = read_json_strict(stage_path) if stage_path.is_file() else {}
        atomic_write_json(tmp / STAGE_FILE, {
            "stage": lineage.get("stage", "merged"),
            "parent": lineage.get("parent"),
            "recipe": lineage.get("recipe"),
            "merged": {"adapter": resolved.adapter, "base": resolved.path, "peft_type": "LORA",
                       "dtype": str(merged.dtype).replace("torch.", "")},
            "adapter_stage": lineage or None,
            "lawbench_version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        })
        if out.exists():
            out.rmdir()  # empty, checked above
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
