"""``lawbench recipe pt``: continued pretraining on raw text, packed, with a data mixture and channel loss.

    lawbench recipe pt --model Qwen/Qwen2.5-1.5B --output-dir out/pt --max_length 2048 \\
        --dataset legal=../shared/data/lawgpt_zh/core_law_articles_9k.json:0.7 general=wiki.jsonl:0.3

* Text: a ``text`` field, ``.txt`` files (one paragraph per record) or the lawgpt_zh article triples.
* Packing: each source's documents are tokenized, joined with EOS and cut into ``max_length`` blocks,
  separately per source so that every block belongs to one source ("channel").
* Mixture: ``NAME=PATH:RATIO`` entries (flag or YAML ``dataset:`` list); blocks are interleaved with
  those sampling probabilities (``datasets.interleave_datasets``) until the first source runs out, so
  the ratios hold and no source is repeated.
* Channel loss: besides the usual ``loss``, every logging step records ``loss/<source>``, the mean
  token loss of each source's blocks since the previous log, in ``trainer_state.json`` and in
  TensorBoard (``--report_to tensorboard``). A mixture that hurts one source shows up there early.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from trl import SFTConfig, SFTTrainer
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from lawbench.errors import LawbenchError
from lawbench.recipes.data import load_records, to_text
from lawbench.recipes.runner import RecipeContext, load_model, save, train_and_score, write_stage_file

log = logging.getLogger(__name__)
CHANNEL = "channel"
PTConfig = SFTConfig  # every SFTConfig field applies; max_length is the block size


@dataclass
class MixtureSource:
    name: str
    path: str
    ratio: float


_ENTRY = re.compile(r"^(?:(?P<name>[\w.\-]+)=)?(?P<path>.+?)(?::(?P<ratio>\d+(?:\.\d+)?))?$")


def parse_mixture(entries: list[str]) -> list[MixtureSource]:
    """``["legal=a.txt:0.7", "general=b.jsonl:0.3"]`` → sources with normalised ratios.

    >>> [(s.name, s.ratio) for s in parse_mixture(["legal=a.txt:3", "b.jsonl:1"])]
    [('legal', 0.75), ('b', 0.25)]
    """
    sources = []
    for entry in entries:
        match = _ENTRY.match(entry.strip())
        if not match:
            raise LawbenchError(f"--dataset entry {entry!r}: expected PATH or NAME=PATH:RATIO")
        path = match.group("path")
        name = match.group("name") or re.sub(r"\W+", "_", path.rsplit("/", 1)[-1].split(".")[0]) or "data"
        sources.append(MixtureSource(name, path, float(match.group("ratio") or 1.0)))
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise LawbenchError(f"--dataset: source names must be unique, got {names}")
    total = sum(s.ratio for s in sources)
    if total <= 0:
        raise LawbenchError("--dataset: mixture ratios must be positive")
    return [MixtureSource(s.name, s.path, s.ratio / total) for s in sources]


def pack(token_lists: list[list[int]], eos_id: int, block_size: int) -> list[list[int]]:
    """Join documents with EOS and cut the stream into ``block_size`` blocks (the last may be shorter).

    >>> pack([[1, 2], [3, 4, 5]], eos_id=0, block_size=3)
    [[1, 2, 0], [3, 4, 5], [0]]
    """
    stream = [token for tokens in token_lists for token in (*tokens, eos_id)]
    return [stream[i : i + block_size] for i in range(0, len(stream), block_size)]


def build_dataset(ctx: RecipeContext, tokenizer) -> tuple[object, list[dict], list[str]]:
    """Packed blocks of every source, interleaved by ratio, each tagged with its channel index."""
    import datasets

    block = ctx.training.max_length or 1024
    sources = parse_mixture(ctx.recipe.dataset)
    parts, described = [], []
    for index, source in enumerate(sources):
        loaded = load_records(source.path, ctx.recipe.dataset_split, ctx.recipe.max_records)
        texts = [to_text(record, loaded.format) for record in loaded.records]
        tokens = tokenizer(texts, add_special_tokens=False)["input_ids"]
        blocks = pack(tokens, tokenizer.eos_token_id, block)
        parts.append(datasets.Dataset.from_dict({"input_ids": blocks, CHANNEL: [index] * len(blocks)}))
        described.append({"name": source.name, "source": source.path, "format": loaded.format,
                          "records": len(loaded.records), "blocks": len(blocks), "ratio": source.ratio,
                          "fingerprint": loaded.fingerprint})
    if len(parts) == 1:
        return parts[0].shuffle(seed=ctx.training.seed), described, [s.name for s in sources]
    mixed = datasets.interleave_datasets(parts, probabilities=[s.ratio for s in sources], seed=ctx.training.seed,
                                         stopping_strategy="first_exhausted")
    return mixed, described, [s.name for s in sources]


class ChannelCollator:
    """TRL's padding collator plus the channel index of every block."""

    def __init__(self, pad_token_id: int):
        self.base = DataCollatorForLanguageModeling(pad_token_id=pad_token_id)

    def __call__(self, examples: list[dict]) -> dict:
        channels = torch.tensor([int(example[CHANNEL]) for example in examples])
        batch = self.base([{k: v for k, v in example.items() if k != CHANNEL} for example in examples])
        batch[CHANNEL] = channels
        return batch


class ChannelLossTrainer(SFTTrainer):
    """``SFTTrainer`` that also logs the token loss of each data source."""

    def __init__(self, *args, channel_names: list[str], processing_class=None, **kwargs):
        kwargs.setdefault("data_collator", ChannelCollator(processing_class.pad_token_id))
        super().__init__(*args, processing_class=processing_class, **kwargs)
        self.channel_names = channel_names
        self._channel_loss = defaultdict(float)  # summed token loss since the last log
        self._channel_tokens = defaultdict(float)

    def _set_signature_columns_if_needed(self):
        super()._set_signature_columns_if_needed()
        if CHANNEL not in self._signature_columns:
            self._signature_columns = [*self._signature_columns, CHANNEL]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        channels = inputs.pop(CHANNEL)
        labels = inputs.pop("labels")
        outputs = model(**inputs, use_cache=False)
        targets = labels[:, 1:]
        token_loss = F.cross_entropy(outputs.logits[:, :-1].transpose(1, 2).float(), targets,
                                     ignore_index=-100, reduction="none")
        mask = (targets != -100).to(token_loss.dtype)
        per_sequence = (token_loss * mask).sum(dim=1)
        if model.training:
            for channel in channels.unique().tolist():
                rows = channels == channel
                self._channel_loss[channel] += per_sequence[rows].sum().item()
                self._channel_tokens[channel] += mask[rows].sum().item()
        denominator = num_items_in_batch if num_items_in_batch is not None else mask.sum()
        loss = per_sequence.sum() / torch.as_tensor(denominator, device=per_sequence.device).clamp(min=1)
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * self.accelerator.num_processes  # DDP averages gradients; the token count spans ranks
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict, *args, **kwargs) -> None:
        if "loss" in logs and self._channel_tokens:
            channels = range(len(self.channel_names))
            totals = torch.tensor([[self._channel_loss[c], self._channel_tokens[c]] for c in channels],
                                  device=self.accelerator.device)
            totals = self.accelerator.reduce(totals, reduction="sum")
            for index, name in enumerate(self.channel_names):
                loss_sum, tokens = totals[index].tolist()
                if tokens:
                    logs[f"loss/{name}"] = round(loss_sum / tokens, 4)
            self._channel_loss.clear()
            self._channel_tokens.clear()
        super().log(logs, *args, **kwargs)


def train(ctx: RecipeContext) -> None:
    if ctx.training.packing:
        raise LawbenchError("pt packs each source itself (so every block has one channel): drop --packing")
    model, tokenizer, peft_config = load_model(ctx)
    dataset, described, names = build_dataset(ctx, tokenizer)
    log.info("pt: %d packed blocks of %d tokens from %s", len(dataset), ctx.training.max_length or 1024,
             ", ".join(f"{d['name']} ({d['blocks']})" for d in described))
    trainer = ChannelLossTrainer(model=model, args=ctx.training, train_dataset=dataset, processing_class=tokenizer,
                                 peft_config=peft_config, channel_names=names)
    train_and_score(trainer, ctx, tokenizer)
    save(trainer, tokenizer, ctx)
    write_stage_file(ctx, [dict(d) for d in described], {"mixture": {d["name"]: d["ratio"] for d in described}})
