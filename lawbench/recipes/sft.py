"""``lawbench recipe sft``: supervised fine-tuning on TRL's ``SFTTrainer``, loss on assistant tokens only.

    lawbench recipe sft --model Qwen/Qwen2.5-1.5B-Instruct --dataset train.jsonl --output-dir out/sft \\
        --use_peft --lora_r 16 --num_train_epochs 2 --then-eval --tasks lawshift --data-dir ../shared/data

Data: single-turn (prompt/response, instruction/input/output, LawBench records), multi-turn
(``messages`` / ShareGPT ``conversations``) and LawShift cases (fact, relevant_articles, charge,
prison_time; the prompt is the evaluation prompt and the answer ``<answer>罪名 | 刑期</answer>``).
Every record becomes a chat, is rendered with the model's chat template and tokenized with a mask
over the assistant's tokens (:mod:`lawbench.recipes.conversation`): TRL turns the mask into labels, so
system and user tokens carry no loss.
"""

from __future__ import annotations

from pathlib import Path

from trl import SFTConfig, SFTTrainer

from lawbench.recipes.conversation import tokenized_dataset
from lawbench.recipes.data import LoadedData, lawshift_articles, load_records, to_messages
from lawbench.recipes.runner import RecipeContext, load_model, save, train_and_score, write_stage_file

__all__ = ["SFTConfig", "train", "load_conversations"]


def record_messages(loaded: LoadedData, index: int, record, articles: dict | None) -> list[dict]:
    """One training record as a chat ending with the assistant's answer."""
    if loaded.format == "lawshift":
        from lawbench.tasks.lawshift.data import case_messages, reference_answer, validate_records

        validate_records([record], Path(f"{loaded.source} (record {index})"))
        return case_messages(record, articles or {}) + [{"role": "assistant", "content": reference_answer(record)}]
    return to_messages(record, loaded.format, f"{loaded.source} record {index}")


def load_conversations(recipe) -> tuple[list[list[dict]], list[dict]]:
    """All ``--dataset`` records as chats, plus a description of each dataset for the stage file."""
    chats, described = [], []
    for source in recipe.dataset:
        loaded = load_records(source, recipe.dataset_split, recipe.max_records)
        articles = lawshift_articles(recipe, source) if loaded.format == "lawshift" else None
        chats += [record_messages(loaded, i, r, articles) for i, r in enumerate(loaded.records)]
        described.append({"source": source, "format": loaded.format, "records": len(loaded.records),
                          "fingerprint": loaded.fingerprint})
    return chats, described


def train(ctx: RecipeContext) -> None:
    model, tokenizer, peft_config = load_model(ctx)
    chats, described = load_conversations(ctx.recipe)
    dataset = tokenized_dataset(tokenizer, chats, ctx.training.max_length, num_proc=ctx.training.dataset_num_proc)
    trainer = SFTTrainer(model=model, args=ctx.training, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=peft_config)
    train_and_score(trainer, ctx, tokenizer)
    save(trainer, tokenizer, ctx)
    write_stage_file(ctx, described)
