"""Training data: load local files or hub datasets, detect their format from the fields, normalise.

Accepted inputs (``--dataset``): ``.json`` / ``.jsonl`` / ``.csv`` / ``.parquet`` / ``.txt`` files, a
folder of them, or a hub id (``org/name``, loaded with :func:`datasets.load_dataset`).

Formats, recognised from the fields of the first record:

==================  =====================================================  ======================
format              fields                                                 used by
==================  =====================================================  ======================
``text``            ``text`` (or ``.txt`` files: one paragraph per record)  pt
``lawgpt_articles`` ``[category, law, chunk]`` triples (lawgpt_zh)           pt
``prompt_response`` ``prompt`` + ``response`` / ``completion`` / ``output``  sft, grpo, ppo (prompt)
``alpaca``          ``instruction`` (+ ``input``) + ``output``               sft
``messages``        ``messages``: [{role, content}, ...]                     sft
``sharegpt``        ``conversations``: [{from, value}, ...]                  sft
``lawshift``        ``fact``, ``relevant_articles``, ``charge``,             sft, rs-sft, grpo, ppo, pt
                    ``prison_time`` (+ ``--articles`` file)
``lawbench``        ``instruction``, ``question``, ``answer`` (LawBench)     sft, rs-sft, grpo, ppo
``choice``          ``question``, ``A``-``D``, ``answer`` (letters)          grpo, ppo
``prompt``          ``prompt`` only (text or messages) + any gold fields     grpo, ppo
``preference``      ``prompt``, ``chosen``, ``rejected``                     dpo, kto, rm
``unpaired``        ``prompt``, ``completion``, ``label`` (bool)             kto
``rs_samples``      rs-sft's ``sampled.jsonl``: ``case``, ``response``,      dpo, kto, rm
                    ``accepted`` (+ ``prompt``: the case's chat)
==================  =====================================================  ======================

An unknown shape is a one-line error that lists these formats.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import DataError, first_line
from lawbench.utils.io import read_json_strict, read_jsonl_strict, read_text_strict, sha256_file

FILE_SUFFIXES = (".json", ".jsonl", ".csv", ".parquet", ".txt")
FORMATS: dict[str, tuple[str, ...]] = {
    "rs_samples": ("case", "response", "accepted"),  # first: its rows also hold prompt + response
    "messages": ("messages",),
    "sharegpt": ("conversations",),
    "preference": ("prompt", "chosen", "rejected"),
    "unpaired": ("prompt", "completion", "label"),
    "lawshift": ("fact", "relevant_articles", "charge", "prison_time"),
    "choice": ("question", "A", "B", "C", "D", "answer"),  # the legal_mmlu doc schema (C-Eval's columns)
    "lawbench": ("instruction", "question", "answer"),
    "alpaca": ("instruction", "output"),
    "prompt_response": ("prompt",),  # + one of RESPONSE_KEYS
    "prompt": ("prompt",),  # prompt-only RL data (TRL's format); other fields are gold columns for rewards
    "text": ("text",),
}
RESPONSE_KEYS = ("response", "completion", "output", "answer")
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                  "system": "system", "bot": "assistant", "model": "assistant"}


@dataclass
class LoadedData:
    records: list
    format: str
    source: str  # what was asked for
    fingerprint: str  # sha256 over the files read (or the hub id + revision + record count)


def describe_formats() -> str:
    shapes = [f"{name} ({' + '.join(keys)})" for name, keys in FORMATS.items()]
    return "; ".join(shapes + ["lawgpt_articles ([category, law, text] lists)", ".txt files (raw text)"])


def detect_format(record, where: str) -> str:
    """The format name of one record (see the module table)."""
    if isinstance(record, (list, tuple)) and len(record) == 3 and all(isinstance(x, str) for x in record):
        return "lawgpt_articles"
    if not isinstance(record, dict):
        raise DataError(f"{where}: records must be objects; accepted formats: {describe_formats()}")
    keys = set(record)
    for name, required in FORMATS.items():
        if set(required) <= keys and (name != "prompt_response" or keys & set(RESPONSE_KEYS)):
            return name
    raise DataError(f"{where}: unknown record format with fields {sorted(keys)}; "
                    f"accepted formats: {describe_formats()}")


def _read_file(path: Path) -> list:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        paragraphs = re.split(r"\n\s*\n", read_text_strict(path))
        return [{"text": p.strip()} for p in paragraphs if p.strip()]
    if suffix == ".jsonl":
        return [record for _, record in read_jsonl_strict(path)]
    if suffix == ".json":
        payload = read_json_strict(path)
        if isinstance(payload, dict):  # {"data": [...]} or {"0": {...}, "1": {...}}
            payload = payload.get("data", list(payload.values()))
        if not isinstance(payload, list):
            raise DataError(f"{path}: expected a JSON list of records")
        return payload
    if suffix in (".csv", ".parquet"):
        import pandas as pd

        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False) if suffix == ".csv" else pd.read_parquet(path)
        except (ValueError, OSError, UnicodeDecodeError) as err:
            raise DataError(f"{path}: cannot read {suffix[1:]} ({first_line(err)})") from None
        return frame.to_dict(orient="records")
    raise DataError(f"{path}: unsupported file type; use one of {', '.join(FILE_SUFFIXES)}")


def load_records(source: str, split: str = "train", limit: int | None = None) -> LoadedData:
    """Read ``source`` (file, folder or hub id), check every record has one format, return them."""
    path = Path(source).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FILE_SUFFIXES)
        if not files:
            raise DataError(f"{path}: no {'/'.join(FILE_SUFFIXES)} files inside")
    elif path.is_file():
        files = [path]
    elif re.fullmatch(r"[\w.\-]+/[\w.\-]+", source) and not source.startswith("."):
        return _load_hub(source, split, limit)
    else:
        raise DataError(f"dataset not found: {source} (a file, a folder, or a hub id like org/name)")
    records: list = []
    digest = hashlib.sha256()
    for file in files:
        records += _read_file(file)
        digest.update(file.name.encode() + sha256_file(file).encode())
    return _checked(records, str(path), digest.hexdigest(), limit)


def _load_hub(source: str, split: str, limit: int | None) -> LoadedData:
    import datasets

    try:
        data = datasets.load_dataset(source, split=split)
    except Exception as err:
        raise DataError(f"cannot load hub dataset {source} (split {split}): {type(err).__name__}; "
                        f"offline, pass a local file instead") from None
    fingerprint = hashlib.sha256(f"{source}:{split}:{data._fingerprint}".encode()).hexdigest()
    return _checked(list(data), source, fingerprint, limit)


def _checked(records: list, source: str, fingerprint: str, limit: int | None) -> LoadedData:
    if not records:
        raise DataError(f"{source}: no records")
    if limit:
        records = records[:limit]
    kind = detect_format(records[0], f"{source} record 0")
    for index, record in enumerate(records):
        found = detect_format(record, f"{source} record {index}")
        if found != kind:
            raise DataError(f"{source} record {index}: format {found} differs from record 0 ({kind}); "
                            "use one format per dataset")
    return LoadedData(records, kind, source, fingerprint)


# --------------------------------------------------------------------------- normalising
def lawgpt_text(record: list) -> str:
    """A lawgpt_zh ``[category, law, chunk]`` triple as plain text (the chunks are cut JSON string lists)."""
    _, law, chunk = record
    body = re.sub(r'"\s*,\s*"', "\n", chunk).strip().strip('[]"')
    return f"{law}\n{body}"


def to_text(record, kind: str) -> str:
    """Raw text of a pt record."""
    if kind == "text":
        return str(record["text"])
    if kind == "lawgpt_articles":
        return lawgpt_text(record)
    if kind == "lawshift":
        return str(record["fact"])  # case facts are legal prose worth pretraining on
    raise DataError(f"pt needs raw text (a 'text' field, .txt files, lawgpt_zh articles or LawShift case facts), "
                    f"got {kind} records")


def lawshift_articles(recipe, source: str) -> dict[str, str]:
    """``--articles`` file, or the ``articles_original.json`` beside a LawShift ``original.json``.

    LawShift cases cite articles by id; the prompt quotes their text (sft, rs-sft, grpo and ppo alike).
    """
    path = Path(recipe.articles) if recipe.articles else Path(source).with_name("articles_original.json")
    if not path.is_file():
        raise DataError(f"LawShift-format records in {source} need their articles: pass --articles FILE "
                        "(JSON {article id: text})")
    articles = read_json_strict(path)
    if not isinstance(articles, dict):
        raise DataError(f"{path}: expected a JSON object mapping article ids to text")
    return articles


def to_messages(record: dict, kind: str, where: str) -> list[dict]:
    """A chat conversation (``[{role, content}]``) for sft; LawShift cases go through their own builder."""
    if kind == "messages":
        messages = record["messages"]
    elif kind == "sharegpt":
        messages = []
        for turn in record["conversations"]:
            role = SHAREGPT_ROLES.get(str(turn.get("from", "")).lower())
            if role is None:
                raise DataError(f"{where}: unknown conversation role {turn.get('from')!r}")
            messages.append({"role": role, "content": turn.get("value", "")})
    elif kind == "alpaca":
        prompt = record["instruction"] + (f"\n{record['input']}" if record.get("input") else "")
        messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": record["output"]}]
    elif kind == "prompt_response":
        response = next(record[k] for k in RESPONSE_KEYS if k in record)
        messages = [{"role": "user", "content": record["prompt"]}, {"role": "assistant", "content": response}]
    elif kind == "lawbench":
        messages = [{"role": "user", "content": f"{record['instruction']}\n{record['question']}"},
                    {"role": "assistant", "content": record["answer"]}]
    else:
        raise DataError(f"{where}: {kind} records cannot be used for sft; accepted: messages, sharegpt, alpaca, "
                        "prompt_response, lawbench, lawshift")
    if not isinstance(messages, list) or not messages:
        raise DataError(f"{where}: empty conversation")
    for turn in messages:
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str) or turn.get("role") not in (
                "system", "user", "assistant"):
            raise DataError(f"{where}: each turn needs role system/user/assistant and text content")
    if not any(turn["role"] == "assistant" for turn in messages):
        raise DataError(f"{where}: conversation has no assistant turn to learn from")
    return messages
