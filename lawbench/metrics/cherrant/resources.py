"""ChERRANT's resource tables: the Cilin synonym thesaurus and the character confusion set.

They are a data source like the others (never committed): ``<data-dir>/cherrant/`` or
``$LAWBENCH_DATA_DIR/cherrant/``, byte copies of ``evaluation/utils/data/`` of open-compass/LawBench.
ChERRANT also ships ``char_meta.txt`` (pinyin and shape codes); its classifier reads that table only
for word-level error types, so character-level scoring (LawBench 2-1) never needs it.

>>> import os, tempfile
>>> root = tempfile.mkdtemp(); folder = os.path.join(root, SOURCE); os.makedirs(folder)
>>> _ = open(os.path.join(folder, "cilin.txt"), "w", encoding="gbk").write("Aa01A01= 人 士\\n")
>>> _ = open(os.path.join(folder, "confusion_dict.txt"), "w", encoding="utf-8").write("士 十 仕\\n")
>>> tables = load_tables(root)
>>> tables.semantic["士"], sorted(tables.confusion["士"])
('Aa01A01=', ['仕', '十'])
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lawbench.errors import DataError
from lawbench.sources import DATA_DIR_ENV, data_dir_from, record_read

SOURCE = "cherrant"
CILIN = "cilin.txt"  # GBK-encoded
CONFUSION = "confusion_dict.txt"
WHERE_TO_GET = "copy evaluation/utils/data/ of github.com/open-compass/LawBench"


@dataclass(frozen=True)
class CherrantTables:
    """``semantic``: word → Cilin code (``Aa01A01=``); ``confusion``: character → confusable strings."""

    semantic: dict[str, str]
    confusion: dict[str, frozenset[str]]


def tables_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """``<data-dir>/cherrant`` holding both tables; a one-line DataError names what is missing."""
    root = data_dir_from(data_dir)
    folder = root / SOURCE if root else None
    if folder is None:
        raise DataError(f"LawBench 2-1 scoring needs ChERRANT's tables {CILIN} and {CONFUSION} in "
                        f"<data-dir>/{SOURCE}/ (--data-dir or ${DATA_DIR_ENV}): {WHERE_TO_GET}")
    missing = [name for name in (CILIN, CONFUSION) if not (folder / name).is_file()]
    if missing:
        raise DataError(f"{folder}/{missing[0]}: file not found (LawBench 2-1 scoring needs ChERRANT's "
                        f"{' and '.join(missing)}: {WHERE_TO_GET})")
    return folder


def load_tables(data_dir: str | os.PathLike | None = None) -> CherrantTables:
    """Both tables, read once per folder."""
    folder = tables_dir(data_dir)
    return _read_tables(str(folder.resolve()))


@lru_cache(maxsize=2)
def _read_tables(folder: str) -> CherrantTables:
    cilin, confusion = Path(folder) / CILIN, Path(folder) / CONFUSION
    try:
        cilin_text = cilin.read_text(encoding="gbk")
        confusion_text = confusion.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{folder}: cannot read ChERRANT's tables ({err}); {WHERE_TO_GET}") from None
    record_read(cilin)
    record_read(confusion)
    semantic: dict[str, str] = {}
    for line in cilin_text.strip().split("\n"):
        code, *words = line.split(" ")
        for word in words:  # a word in several classes keeps its last code, as ChERRANT's dict does
            semantic[word] = code
    table: dict[str, frozenset[str]] = {}
    lines = confusion_text.split("\n")
    for line in lines[:-1] if confusion_text.endswith("\n") else lines:  # ChERRANT iterates the file's lines
        char, *similar = line.split(" ")
        table[char] = frozenset(similar)
    return CherrantTables(semantic, table)
