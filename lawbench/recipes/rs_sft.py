"""``lawbench recipe rs-sft``: rejection sampling with lawbench's scorers, then 1/n-weighted SFT.

    lawbench recipe rs-sft --model out/sft --dataset ../shared/data/lawshift/action_explicit_extend/original.json \\
        --output-dir out/rs-sft --rs_num_samples 8 --num_train_epochs 1 --then-eval

1. Every training case gets ``rs_num_samples`` answers (temperature 0.8, top_p 0.95 by default),
   generated in batches with ``num_return_sequences`` (or vLLM with ``--rs_use_vllm``).
2. An answer is kept when the scorer the evaluation uses marks it correct: charge and prison term
   both right, a not-guilty case only with a not-guilty answer, ``XT`` for death / life
   (:func:`lawbench.metrics.judgment_correct`). ``OUT/sampled.jsonl`` holds every answer with its
   verdict, weight and the case's chat prompt (dpo / kto / rm build preference data from it);
   ``OUT/sampling_stats.json`` the acceptance figures.
3. SFT on the accepted answers (answer tokens only) where each of a case's n accepted answers weighs
   1/n, as a normalised weighted mean (:mod:`lawbench.recipes.weighted`).

Cases: LawShift-format records (``fact``, ``relevant_articles``, ``charge``, ``prison_time`` with an
articles file) or LawBench 3-4 / 3-5 records (``instruction``, ``question``, ``answer`` =
``刑期:N个月``, judged on the term). When nothing is accepted the recipe stops with an error instead
of starting an empty training run.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from trl import SFTConfig

from lawbench.errors import LawbenchError
from lawbench.recipes.cases import Case, source_cases
from lawbench.recipes.data import load_records
from lawbench.recipes.runner import RecipeContext, load_model, save, train_and_score, write_stage_file
from lawbench.utils.io import atomic_write_json, atomic_write_text

log = logging.getLogger(__name__)
SAMPLED_FILE = "sampled.jsonl"
STATS_FILE = "sampling_stats.json"


@dataclass
class RSSFTConfig(SFTConfig):
    """TRL's ``SFTConfig`` plus the rejection-sampling settings."""

    rs_num_samples: int = field(default=8, metadata={"help": "Answers sampled per training case."})
    rs_temperature: float = field(default=0.8, metadata={"help": "Sampling temperature."})
    rs_top_p: float = field(default=0.95, metadata={"help": "Nucleus sampling threshold."})
    rs_max_new_tokens: int = field(default=512, metadata={"help": "Longest sampled answer, in tokens."})
    rs_batch_size: int = field(default=4, metadata={"help": "Cases per generate() call (each yields rs_num_samples)."})
    rs_use_vllm: bool = field(default=False,
                              metadata={"help": "Sample with vLLM (needs `pip install lawbench[vllm]`)."})
    rs_seed: int = field(default=0, metadata={"help": "Sampling seed."})

    def __post_init__(self):
        super().__post_init__()
        if self.rs_num_samples < 1:
            raise ValueError("rs_num_samples must be >= 1")
        if self.packing:
            raise ValueError("rs-sft weights each example; packing would mix them: drop --packing")


def load_cases(recipe) -> tuple[list[Case], list[dict]]:
    cases, described = [], []
    for source in recipe.dataset:
        loaded = load_records(source, recipe.dataset_split, recipe.max_records)
        cases += source_cases(loaded, recipe)
        described.append({"source": source, "format": loaded.format, "records": len(loaded.records),
                          "fingerprint": loaded.fingerprint})
    return cases, described


# --------------------------------------------------------------------------- sampling
def sample_hf(model, tokenizer, prompts: list[str], config: RSSFTConfig) -> list[list[str]]:
    """``rs_num_samples`` sampled answers per prompt with ``generate`` (left-padded batches, longest first)."""
    import torch
    from tqdm.auto import tqdm

    torch.manual_seed(config.rs_seed)
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    answers: list[list[str]] = [[] for _ in prompts]
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    model.eval()
    try:
        for start in tqdm(range(0, len(order), config.rs_batch_size), desc="rejection sampling", unit="batch"):
            batch = order[start : start + config.rs_batch_size]
            encoded = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True,
                                add_special_tokens=False).to(model.device)
            with torch.no_grad():
                output = model.generate(**encoded, do_sample=True, temperature=config.rs_temperature,
                                        top_p=config.rs_top_p, max_new_tokens=config.rs_max_new_tokens,
                                        num_return_sequences=config.rs_num_samples,
                                        pad_token_id=tokenizer.pad_token_id)
            texts = tokenizer.batch_decode(output[:, encoded["input_ids"].shape[1]:], skip_special_tokens=True)
            for j, case_index in enumerate(batch):
                answers[case_index] = texts[j * config.rs_num_samples : (j + 1) * config.rs_num_samples]
    finally:
        tokenizer.padding_side = side
        model.train()
    return answers


def sample_vllm(model_path: str, prompts: list[str], config: RSSFTConfig, adapter: str | None) -> list[list[str]]:
    """The same sampling with vLLM (CUDA); a LoRA adapter is applied with a LoRARequest."""
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        raise LawbenchError("--rs_use_vllm needs vLLM: pip install 'lawbench[vllm]'")
    from vllm import LLM, SamplingParams
    from vllm.lora.request import LoRARequest

    llm = LLM(model=model_path, enable_lora=adapter is not None, seed=config.rs_seed)
    params = SamplingParams(n=config.rs_num_samples, temperature=config.rs_temperature, top_p=config.rs_top_p,
                            max_tokens=config.rs_max_new_tokens, seed=config.rs_seed)
    outputs = llm.generate(prompts, params, lora_request=LoRARequest("policy", 1, adapter) if adapter else None)
    return [[choice.text for choice in output.outputs] for output in outputs]


def sampling_stats(accepted_per_case: list[int], num_samples: int) -> dict:
    cases = len(accepted_per_case)
    total = sum(accepted_per_case)
    return {
        "cases": cases,
        "generations": cases * num_samples,
        "accepted": total,
        "acceptance_rate": total / (cases * num_samples) if cases else 0.0,
        "cases_with_none_accepted": sum(1 for n in accepted_per_case if n == 0),
        "mean_accepted_per_case": total / cases if cases else 0.0,
        "accepted_per_case_histogram": dict(sorted(Counter(accepted_per_case).items())),
    }


def run_sampling(ctx: RecipeContext, model, tokenizer, cases: list[Case]) -> tuple[list[dict], dict]:
    """Sample, judge, weight; write ``sampled.jsonl`` and ``sampling_stats.json``."""
    from lawbench.recipes.conversation import tokenize_prompt

    config = ctx.training
    prompts = [tokenize_prompt(tokenizer, case.messages) for case in cases]
    if config.rs_use_vllm:
        from lawbench.models.resolve import ModelOptions, resolve_model

        resolved = resolve_model(ModelOptions(ctx.recipe.model))
        answers = sample_vllm(resolved.path, prompts, config, resolved.adapter)
    else:
        answers = sample_hf(model, tokenizer, prompts, config)
    rows, accepted_counts = [], []
    for index, (case, responses) in enumerate(zip(cases, answers)):
        verdicts = [case.accepts(r) for r in responses]
        n = sum(verdicts)
        accepted_counts.append(n)
        # "prompt" (the case's chat) lets dpo / kto / rm build preference data from this file alone.
        rows += [{"case": index, "sample": k, "response": r, "accepted": ok, "weight": (1.0 / n) if ok else 0.0,
                  "gold": case.gold, "prompt": case.messages} for k, (r, ok) in enumerate(zip(responses, verdicts))]
    out = Path(config.output_dir)
    atomic_write_text(out / SAMPLED_FILE, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    stats = sampling_stats(accepted_counts, config.rs_num_samples)
    atomic_write_json(out / STATS_FILE, stats)
    log.info("rejection sampling: %d/%d answers accepted (%.1f%%), %d of %d cases with none",
             stats["accepted"], stats["generations"], 100 * stats["acceptance_rate"],
             stats["cases_with_none_accepted"], stats["cases"])
    return rows, stats


def train(ctx: RecipeContext) -> None:
    from accelerate import PartialState

    from lawbench.recipes.conversation import tokenized_dataset
    from lawbench.recipes.weighted import WEIGHT, WeightedSFTTrainer

    model, tokenizer, peft_config = load_model(ctx)
    cases, described = load_cases(ctx.recipe)
    _ = ctx.training.device  # sets up the process group the trainer will use (CPU DDP needs use_cpu's flags)
    state = PartialState()
    if state.is_main_process:  # sample once; the other processes read the file
        run_sampling(ctx, model, tokenizer, cases)
    state.wait_for_everyone()
    out = Path(ctx.training.output_dir)
    rows = [json.loads(line) for line in (out / SAMPLED_FILE).read_text(encoding="utf-8").splitlines()]
    stats = json.loads((out / STATS_FILE).read_text(encoding="utf-8"))
    kept = [row for row in rows if row["accepted"]]
    if not kept:
        raise LawbenchError(
            f"rejection sampling accepted none of {stats['generations']} answers to {stats['cases']} cases, so there "
            f"is nothing to train on (no training run started); see {out / SAMPLED_FILE}. Try more samples "
            "(--rs_num_samples), a different temperature, or a model that already answers in the <answer> format "
            "(sft first)"
        )
    chats = [cases[row["case"]].messages + [{"role": "assistant", "content": row["response"]}] for row in kept]
    dataset = tokenized_dataset(tokenizer, chats, ctx.training.max_length, {WEIGHT: [row["weight"] for row in kept]})
    trainer = WeightedSFTTrainer(model=model, args=ctx.training, train_dataset=dataset, processing_class=tokenizer,
                                 peft_config=peft_config)
    train_and_score(trainer, ctx, tokenizer)
    save(trainer, tokenizer, ctx)
    write_stage_file(ctx, described, {"rejection_sampling": stats})
