"""Read statute corpora into provisions, and cut long provisions into chunks that keep their id.

Accepted files (the shape is read from the content, so a renamed file still works):

==========================  ====================================================  =========================
file                        content                                               provision id
==========================  ====================================================  =========================
LawShift ``articles*.json``  ``{"354-0-0": "【容留他人吸毒罪】……", ...}``            the key
lawgpt_zh 9k articles       ``[[category, law, text], ...]``                       ``刑法 第三百五十四条``
                            (``core_law_articles_9k.json``)                         (``刑法 #12`` without one)
JSON Lines (``.jsonl``)     one ``{"id": ..., "text": ...}`` per line              ``id``
text (``.txt``)             paragraphs separated by blank lines                    ``<file stem> #<n>``
==========================  ====================================================  =========================

Anything else is a one-line :class:`~lawbench.errors.DataError` naming the file (and the record).

Example:
    >>> import json, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "articles.json"
    >>> _ = path.write_text(json.dumps({"264-0-0": "【盗窃罪】盗窃公私财物……"}, ensure_ascii=False), "utf-8")
    >>> [(p.id, p.text[:6]) for p in read_corpus(path)]
    [('264-0-0', '【盗窃罪】盗')]
    >>> [c.text for c in chunk_provisions(read_corpus(path), chunk_chars=5)]
    ['【盗窃罪】', '盗窃公私财', '物……']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lawbench.errors import DataError
from lawbench.utils.io import read_json_strict, read_jsonl_strict, read_text_strict

# "第三百五十四条" / "第354条" / "第一百二十条之一" at the start of a lawgpt_zh text
_ARTICLE_HEAD = re.compile(r"^\s*(第[〇零一二三四五六七八九十百千0-9]+条(?:之[一二三四五六七八九十]+)?)")
SHAPES = ("lawshift articles {id: text}", "lawgpt_zh [category, law, text] triples",
          "JSON Lines {\"id\", \"text\"}", ".txt paragraphs")


@dataclass(frozen=True)
class Provision:
    """One statute provision: its id (the article id), its text and the file it came from."""

    id: str
    text: str
    source: str  # the corpus file's name (no folders: the index never records private paths)


@dataclass(frozen=True)
class Chunk:
    """A piece of a provision, what the retrievers index; ``id`` is the provision's."""

    id: str
    text: str
    source: str


def _bad_shape(path: Path, found: str) -> DataError:
    return DataError(f"{path}: unknown corpus shape ({found}); expected one of: {'; '.join(SHAPES)}")


def _from_mapping(payload: dict, path: Path) -> list[Provision]:
    out = []
    for key, text in payload.items():
        if not isinstance(text, str):
            raise DataError(f"{path}: article '{key}' must be text, got {type(text).__name__}")
        out.append(Provision(str(key), text.strip(), path.name))
    return out


def lawgpt_id(law: str, text: str, index: int) -> str:
    """The provision id of a lawgpt_zh triple: law name and article number, else the law and the row.

    >>> lawgpt_id("刑法", "第二百六十四条 盗窃公私财物……", 7), lawgpt_id("宪法", "序言……", 3)
    ('刑法 第二百六十四条', '宪法 #3')
    """
    head = _ARTICLE_HEAD.match(text)
    return f"{law} {head.group(1)}" if head else f"{law} #{index}"


def _from_triples(payload: list, path: Path) -> list[Provision]:
    out = []
    for index, row in enumerate(payload):
        if not (isinstance(row, list) and len(row) == 3 and all(isinstance(x, str) for x in row)):
            raise DataError(f"{path} record {index}: expected [category, law, text] strings like the other records")
        _category, law, text = row
        out.append(Provision(lawgpt_id(law.strip(), text, index), text.strip(), path.name))
    return out


def _from_jsonl(rows: list[tuple[int, Any]], path: Path) -> list[Provision]:
    out = []
    for number, row in rows:
        if not (isinstance(row, dict) and isinstance(row.get("id"), (str, int)) and isinstance(row.get("text"), str)):
            raise DataError(f"{path} line {number}: expected {{\"id\": ..., \"text\": ...}} with text as a string")
        out.append(Provision(str(row["id"]), row["text"].strip(), path.name))
    return out


def _from_text(text: str, path: Path) -> list[Provision]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [Provision(f"{path.stem} #{n}", p, path.name) for n, p in enumerate(paragraphs, start=1)]


def read_corpus(path: str | Path) -> list[Provision]:
    """The provisions of one corpus file (see the module table); empty texts are dropped."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: corpus file not found")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        provisions = _from_jsonl(read_jsonl_strict(path), path)
    elif suffix == ".txt":
        provisions = _from_text(read_text_strict(path), path)
    elif suffix == ".json":
        payload = read_json_strict(path)
        if isinstance(payload, dict):
            provisions = _from_mapping(payload, path)
        elif isinstance(payload, list) and payload and isinstance(payload[0], list):
            provisions = _from_triples(payload, path)
        elif isinstance(payload, list) and payload and isinstance(payload[0], dict):
            raise _bad_shape(path, "a JSON list of objects: write it as JSON Lines with 'id' and 'text'")
        else:
            raise _bad_shape(path, f"JSON {type(payload).__name__}" + (" (empty)" if not payload else ""))
    else:
        raise _bad_shape(path, f"file type '{suffix or 'none'}'")
    provisions = [p for p in provisions if p.text]
    if not provisions:
        raise DataError(f"{path}: the corpus holds no provision text")
    return provisions


def chunk_provisions(provisions: list[Provision], chunk_chars: int) -> list[Chunk]:
    """Cut each provision into pieces of at most ``chunk_chars`` characters (0: whole provisions).

    Pieces end at a sentence mark (。；) when one falls in the second half of the window, so that a
    chunk is a readable clause rather than a fixed slice.
    """
    if chunk_chars < 0:
        raise DataError(f"--chunk-chars must be 0 (whole provisions) or positive, got {chunk_chars}")
    chunks = []
    for provision in provisions:
        text = provision.text
        while text:
            if not chunk_chars or len(text) <= chunk_chars:
                piece, text = text, ""
            else:
                window = text[:chunk_chars]
                cut = max(window.rfind("。"), window.rfind("；"))
                end = cut + 1 if cut >= chunk_chars // 2 else chunk_chars
                piece, text = text[:end], text[end:]
            if piece.strip():
                chunks.append(Chunk(provision.id, piece.strip(), provision.source))
    return chunks
