"""``lawbench generate``: batch inference over a JSON Lines file, resumable.

    lawbench generate --model out/sft --input questions.jsonl --output answers.jsonl --batch-size 8 \\
        --gen-kwargs max_gen_toks=256

Each input line holds ``prompt`` (text) or ``messages`` (a chat); every other field is kept and a
``prediction`` is added. Lines with a ``reference`` can then be scored: ``lawbench score --predictions
answers.jsonl``. Requests run longest first in batches (similar lengths pad little, and a batch that
does not fit in memory fails at once); answers are appended one whole line at a time, so an interrupted
run leaves only finished lines and the same command carries on where it stopped. When every line is
done the file is rewritten (atomically) in input order.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import DataError, LawbenchError
from lawbench.models.resolve import ModelOptions
from lawbench.utils.dataclass_cli import option

log = logging.getLogger(__name__)


@dataclass
class GenerateConfig:
    """``lawbench generate``'s own flags (the model's are :class:`ModelOptions`)."""

    model: ModelOptions
    input: str = option(help="JSON Lines: one object per line with 'prompt' (text) or 'messages' (a chat)",
                        group="data")
    output: str = option(help="JSON Lines written with every input field plus 'prediction'; an existing file "
                         "is resumed", group="data")
    gen_kwargs: str | None = option(None, group="generation",
                                    help="e.g. max_gen_toks=256,temperature=0 (default: greedy, 256 tokens)")
    system: str | None = option(None, group="generation", help="system message put before every chat")
    rag: str | None = option(None, group="retrieval", metavar="DIR",
                             help="statute index (lawbench rag index): each prompt (a chat's last user message) gets "
                                  "the provisions retrieved for it; the output lines list them in 'rag_provisions'")
    rag_k: int = option(5, group="retrieval", help="provisions retrieved per line")
    rag_min_score: float | None = option(None, group="retrieval",
                                         help="add no provision scoring below this (the retriever's score)")
    rag_retriever: str | None = option(None, group="retrieval", choices=("bm25", "dense", "hybrid"),
                                       help="ranking (default: hybrid when the index has vectors, else bm25)")


def request_of(record, where: str):
    """The chat or text prompt of one input line (one-line :class:`DataError` otherwise)."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object with 'prompt' or 'messages', got {type(record).__name__}")
    if isinstance(record.get("messages"), list):
        messages = record["messages"]
        if not messages or not all(isinstance(m, dict) and isinstance(m.get("role"), str)
                                   and isinstance(m.get("content"), str) for m in messages):
            raise DataError(f"{where}: 'messages' must be a non-empty list of {{\"role\", \"content\"}} strings")
        return messages
    if isinstance(record.get("prompt"), str):
        return record["prompt"]
    present = ", ".join(map(repr, record)) or "none"
    raise DataError(f"{where}: needs 'prompt' (text) or 'messages' (a chat); fields present: {present}")


def _length(request) -> int:
    """Characters of a request's text: the sort key for length-sorted batches."""
    return len(request) if isinstance(request, str) else sum(len(m["content"]) for m in request)


OUTPUT_FIELDS = ("prediction", "rag_provisions")  # what generate adds to an input line


def _key(record: dict) -> str:
    return json.dumps({k: v for k, v in record.items() if k not in OUTPUT_FIELDS}, ensure_ascii=False,
                      sort_keys=True)


def finished_lines(path: Path) -> list[dict]:
    """The whole lines already in ``path``; a torn last line (a crash mid-write) is cut off the file."""
    if not path.is_file():
        return []
    raw = path.read_bytes()
    whole = raw[: raw.rfind(b"\n") + 1]
    if len(whole) != len(raw):
        log.warning("%s: dropping an unfinished last line", path)
        with open(path, "r+b") as handle:
            handle.truncate(len(whole))
    done = []
    for number, line in enumerate(whole.decode("utf-8").splitlines(), start=1):
        if line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise DataError(f"{path} line {number}: not JSON; is this a lawbench generate output?") from None
            if not isinstance(record, dict) or "prediction" not in record:
                raise DataError(f"{path} line {number}: no 'prediction'; --output would overwrite another file")
            done.append(record)
    return done


def read_requests(path: Path, system: str | None) -> list[tuple[dict, object]]:
    from lawbench.utils.io import read_jsonl_strict

    rows = read_jsonl_strict(path)
    if not rows:
        raise DataError(f"{path}: no records; expected one JSON object per line with 'prompt' or 'messages'")
    out = []
    for number, record in rows:
        request = request_of(record, f"{path} line {number}")
        if system:
            request = [{"role": "system", "content": system}, *([{"role": "user", "content": request}]
                                                                 if isinstance(request, str) else request)]
        out.append((record, request))
    return out


def run_generate(config: GenerateConfig) -> dict:
    """Generate every missing prediction; returns counts (``total``, ``skipped``, ``generated``) and the path."""
    from tqdm import tqdm

    from lawbench.inference.engines import open_engine, parse_gen_kwargs

    source, target = Path(config.input), Path(config.output)
    if source.resolve() == target.resolve():
        raise LawbenchError("--output must differ from --input")
    gen = parse_gen_kwargs(config.gen_kwargs)
    items = read_requests(source, config.system)
    done = finished_lines(target)
    remaining = Counter(_key(r) for r in done)
    pending = []
    for index, (record, request) in enumerate(items):
        if remaining[_key(record)] > 0:
            remaining[_key(record)] -= 1
        else:
            pending.append((index, record, request))
    total = len(items)
    if pending and config.rag:
        pending = _with_provisions(config, pending)
    if pending:
        engine = open_engine(config.model)
        # longest first: similar lengths share a batch, and the biggest batch runs (or fails) first
        pending.sort(key=lambda item: -_length(item[2]))
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "a", encoding="utf-8") as handle, \
                tqdm(total=total, initial=total - len(pending), desc="generate", unit="line") as bar:
            for start in range(0, len(pending), engine.batch_size):
                batch = pending[start: start + engine.batch_size]
                answers = engine.generate([request for _, _, request in batch], gen)
                # one write per batch of whole lines, flushed to disk: a crash leaves finished lines only
                handle.write("".join(json.dumps({**record, "prediction": answer}, ensure_ascii=False) + "\n"
                                     for (_, record, _), answer in zip(batch, answers)))
                handle.flush()
                os.fsync(handle.fileno())
                bar.update(len(batch))
    _rewrite_in_input_order(target, [record for record, _ in items])
    return {"output": str(target), "total": total, "skipped": total - len(pending), "generated": len(pending)}


def _with_provisions(config: GenerateConfig, pending: list) -> list:
    """``--rag``: each pending request with its retrieved provisions; the record lists them (id, score)."""
    from lawbench.rag.context import ProvisionRetriever

    rag = ProvisionRetriever(config.rag, config.rag_k, config.rag_min_score, config.rag_retriever)
    out = []
    for index, record, request in pending:
        request, hits = rag.augment_request(request)
        out.append((index, {**record, "rag_provisions": [{"id": h.id, "score": round(h.score, 6)} for h in hits]},
                    request))
    return out


def _rewrite_in_input_order(target: Path, records: list[dict]) -> None:
    from lawbench.utils.io import atomic_write_text

    by_key: dict[str, list[dict]] = {}
    for line in finished_lines(target):
        by_key.setdefault(_key(line), []).append(line)
    ordered = [by_key[_key(record)].pop(0) for record in records]
    atomic_write_text(target, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in ordered))
