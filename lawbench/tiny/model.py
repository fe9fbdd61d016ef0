"""``lawbench model init``: a tiny from-scratch Qwen2-style causal LM for tests, the demo and benchmarks.

It has a byte-level BPE tokenizer trained on the fly (on the project's own synthetic legal corpus, or
on ``--corpus FILES``) and a ChatML chat template, and it saves as an ordinary Hugging Face checkpoint
that loads offline with ``AutoModelForCausalLM`` / ``AutoTokenizer``. Its weights are random: it is
there to exercise the real code paths quickly, not to answer well.

Example (a few seconds on a laptop CPU)::

    lawbench model init --out tiny-model
    python -c "from transformers import AutoModelForCausalLM as M; print(M.from_pretrained('tiny-model'))"
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from lawbench.errors import LawbenchError
from lawbench.utils.dataclass_cli import option

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
# Ordinary added tokens (not "special"): decoding with skip_special_tokens=True must keep them,
# because the answer parser looks for them.
FORMAT_TOKENS = ("<think>", "</think>", "<answer>", "</answer>")
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
# The same template with the ``{% generation %}`` markers that transformers' assistant masks (and TRL's
# ``assistant_only_loss``) need; it renders the same text. Used to compare lawbench's masks with TRL's.
MARKED_CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{% generation %}{{- message['content'] + '<|im_end|>' + '\\n' }}{% endgeneration %}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


@dataclass
class TinyModelConfig:
    """Shape of the tiny model (``lawbench model init`` flags). Defaults give ~5M parameters: fast on a
    CPU, big enough to learn an answer format."""

    vocab_size: int = option(8000, help="BPE vocabulary target (training may stop earlier on a small corpus)")
    hidden_size: int = option(256, help="model width")
    intermediate_size: int | None = option(
        None, help="MLP width (default: 2.6875 x --hidden-size, rounded down, as in Qwen2)")
    num_hidden_layers: int = option(4, flag="--layers", help="transformer layers")
    num_attention_heads: int = option(4, flag="--heads", help="attention heads (must divide --hidden-size)")
    num_key_value_heads: int = option(
        2, flag="--kv-heads", help="key/value heads: grouped-query attention as in Qwen2 (must divide --heads)")
    max_position_embeddings: int = option(
        4096, flag="--max-positions", help="context length in tokens (LawShift prompts reach ~2k tokens)")
    seed: int = option(0, help="seed of the weight initialisation and the corpus sampling")

    def __post_init__(self):
        if self.intermediate_size is None:
            self.intermediate_size = int(self.hidden_size * 2.6875)  # 688 at the default width
        if self.hidden_size % self.num_attention_heads:
            raise LawbenchError(f"hidden_size {self.hidden_size} must be divisible by "
                                f"num_attention_heads {self.num_attention_heads}")
        if self.num_attention_heads % self.num_key_value_heads:
            raise LawbenchError("num_attention_heads must be a multiple of num_key_value_heads")
        if self.vocab_size < 512:
            raise LawbenchError(f"vocab_size must be at least 512, got {self.vocab_size}")


def _read_corpus(files: list[str]) -> list[str]:
    from lawbench.utils.io import read_text_strict

    lines: list[str] = []
    for name in files:
        lines += [line for line in read_text_strict(name).splitlines() if line.strip()]
    if not lines:
        raise LawbenchError(f"corpus files hold no text: {', '.join(files)}")
    return lines


def train_tokenizer(lines: list[str], vocab_size: int):
    """Byte-level BPE (as in Qwen2 / GPT-2) with ChatML special tokens and a chat template."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(lines, trainer=trainer)
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in FORMAT_TOKENS])
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATE,
        model_max_length=None,
        clean_up_tokenization_spaces=False,
    )


MARKER = "lawbench_tiny.json"  # written last: a folder without it is not a finished tiny model


def is_built(folder: str | Path) -> bool:
    """Whether ``folder`` holds a finished tiny model (its marker file, written last, is there)."""
    return (Path(folder) / MARKER).is_file() and (Path(folder) / "config.json").is_file()


def init_tiny_model(out: str | Path, config: TinyModelConfig | None = None, corpus: list[str] | None = None) -> Path:
    """Build, save and return the folder of a tiny Qwen2-style model with its tokenizer.

    Atomic: everything is written into a temporary folder beside ``out`` and renamed to ``out`` at the end,
    so an interrupted build leaves no half-built model under ``out``.
    """
    config = config or TinyModelConfig()
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise LawbenchError(f"{out} exists and is not empty; choose another --out or remove it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise LawbenchError(f"--out {out}: cannot create its folder ({err.strerror or err})") from None
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    from lawbench.tiny.corpus import legal_corpus
    lines = _read_corpus(corpus) if corpus else legal_corpus(seed=config.seed)
    tokenizer = train_tokenizer(lines, config.vocab_size)
    tokenizer.model_max_length = config.max_position_embeddings
    eos_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad_id = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    model_config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_key_value_heads,
        max_position_embeddings=config.max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=pad_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
    )
    torch.manual_seed(config.seed)
    model = Qwen2ForCausalLM(model_config)
    model.generation_config = GenerationConfig(eos_token_id=[eos_id, pad_id], pad_token_id=pad_id, do_sample=False)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        model.save_pretrained(building)
        tokenizer.save_pretrained(building)
        (building / MARKER).write_text(
            json.dumps({"tiny_config": asdict(config), "corpus": corpus or "lawbench.tiny.corpus.legal_corpus",
                        "parameters": sum(p.numel() for p in model.parameters())}, ensure_ascii=False, indent=2)
            + "\n", encoding="utf-8")
        from lawbench.utils.io import current_umask

        building.chmod(0o777 & ~current_umask())  # mkdtemp's folder is private; the model is not
        if out.is_dir():
            out.rmdir()  # empty (checked above); a rename cannot replace a folder on every system
        os.replace(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return out
