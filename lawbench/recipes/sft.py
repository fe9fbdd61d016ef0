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

from lawbench.errors import DataError
from lawbench.recipes.conversation import tokenize_conversation
from lawbench.recipes.data import LoadedData, load_records, to_messages
from lawbench.recipes.runner import RecipeContext, load_model, write_stage_file

__all__ = ["SFTConfig", "train", "load_conversations"]


def lawshift_articles(recipe, source: str) -> dict[str, str]:
    """``--articles`` file, or the ``articles_original.json`` beside a LawShift ``original.json``."""
    from lawbench.utils.io import read_json_strict

    path = Path(recipe.articles) if recipe.articles else Path(source).with_name("articles_original.json")
    if not path.is_file():
        raise DataError(f"LawShift-format records in {source} need their articles: pass --articles FILE "
                        "(JSON {article id: text})")
    articles = read_json_strict(path)
    if not isinstance(articles, dict):
        raise DataError(f"{path}: expected a JSON object mapping article ids to text")
    return articles


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


def tokenized_dataset(tokenizer, chats: list[list[dict]], max_length: int | None, extra: dict | None = None):
    """A ``datasets.Dataset`` of ``input_ids`` + ``assistant_masks`` (+ extra columns such as weights)."""
    import datasets

    rows = [tokenize_conversation(tokenizer, chat, max_length) for chat in chats]
    empty = [i for i, row in enumerate(rows) if not any(row["assistant_masks"])]
    if empty:
        raise DataError(f"{len(empty)} record(s) have no answer tokens left after truncation to max_length={max_length} "
                        f"(first: record {empty[0]}); raise --max_length")
    columns = {"input_ids": [r["input_ids"] for r in rows], "assistant_masks": [r["assistant_masks"] for r in rows]}
    return datasets.Dataset.from_dict({**columns, **(extra or {})})


def save(trainer, tokenizer, ctx: RecipeContext) -> None:
    out = Path(ctx.training.output_dir)
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    trainer.save_state()  # OUT/trainer_state.json: the log history the leaderboard plots


def resume_arg(training):
    value = training.resume_from_checkpoint
    return True if isinstance(value, str) and value.lower() in ("true", "last") else value


def train(ctx: RecipeContext) -> None:
    model, tokenizer, peft_config = load_model(ctx)
    chats, described = load_conversations(ctx.recipe)
    dataset = tokenized_dataset(tokenizer, chats, ctx.training.max_length)
    trainer = SFTTrainer(model=model, args=ctx.training, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=peft_config)
    trainer.train(resume_from_checkpoint=resume_arg(ctx.training))
    save(trainer, tokenizer, ctx)
    write_stage_file(ctx, described)
