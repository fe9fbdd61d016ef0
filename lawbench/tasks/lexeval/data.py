"""Read LexEval's task files, validate them and build LexEval's prompts.

Layout (``CSHaitao/LexEval`` ``data/``, or ``<data-dir>/lexeval/``)::

    data/<i_j>.json            JSON Lines, one {"instruction", "input", "answer"} per line
    data/<i_j>_few_shot.json   optional, same format: its examples are put in every prompt

There is no hub copy: without a local folder the error names the folder to provide. The prompt is
what LexEval's generation code (``code/generation/model_gen.py`` ``process_prompt``) hands a model:
``instruction + input + "\\n" + cue`` with the cue ``答案:`` (``摘要:`` for 5_1, ``裁判分析过程:`` for
5_2, ``翻译结果:`` for 5_3), and with a few-shot file, ``instruction + "\\n" + examples`` first.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from lawbench import sources
from lawbench.errors import DataError
from lawbench.metrics.lexeval.tasks import TASKS, normalize_task_id
from lawbench.utils.io import read_text_strict

SOURCE = "lexeval"
FOLDER = "data"


def few_shot_block(task_id: str, examples: list[dict]) -> str:
    """LexEval's ``get_fewshot_examples``: a header, each example, then the cue to answer.

    >>> few_shot_block("1_1", [{"input": "问1", "answer": "A"}])
    '以下是三个例子:\\n问题: 问1\\n答案: A\\n\\n请你回答:\\n问题:'
    """
    label = TASKS[task_id].answer_cue.rstrip(":")
    shots = "".join(f"问题: {example['input']}\n{label}: {example['answer']}\n\n" for example in examples)
    return f"以下是三个例子:\n{shots}请你回答:\n问题:"


def build_prompt(task_id: str, instruction: str, text: str, examples: list[dict] | None = None) -> str:
    """LexEval's prompt (instruction, optional few-shot block, input, answer cue; see the module docstring).

    >>> build_prompt("5_3", "请翻译。\\n", "Article 1")
    '请翻译。\\nArticle 1\\n翻译结果:'
    """
    if examples:
        instruction = f"{instruction}\n{few_shot_block(task_id, examples)}"
    return f"{instruction}{text}\n{TASKS[task_id].answer_cue}"


def read_records(path: Path) -> list[dict]:
    """Validated records of a LexEval JSON Lines file; errors name the file and the line."""
    records = []
    # "\n" only, as LexEval's readlines(): a text may hold a raw U+2028 that splitlines() would cut.
    for number, line in enumerate(read_text_strict(path).split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{where}: invalid JSON at column {err.colno}: {err.msg}") from None
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected an object, got {type(record).__name__}")
        for key in ("instruction", "input"):
            if not isinstance(record.get(key), str):
                raise DataError(f"{where}: field '{key}' must be text")
        if "answer" not in record or not (record["answer"] is None or isinstance(record["answer"], str)):
            raise DataError(f"{where}: field 'answer' must be text or null")
        records.append(record)
    if not records:
        raise DataError(f"{path}: no records")
    return records


@lru_cache(maxsize=64)
def _read_cached(path_str: str, mtime_ns: int) -> list[dict]:
    # Cached on (path, mtime): a file changed between two runs in one process is read again.
    return read_records(Path(path_str))


def task_file(task_id: str, data_dir: str | None = None) -> Path:
    """``<data-dir>/lexeval/data/<i_j>.json`` (a DataError names what is missing)."""
    folder = sources.resolve_source(SOURCE, data_dir)  # no hub copy: raises naming the folder
    path = folder / FOLDER / f"{task_id}.json"
    if not path.is_file():
        raise DataError(f"{path}: file not found (LexEval layout: {folder}/{FOLDER}/<i_j>.json)")
    return path


def few_shot_examples(task_id: str, data_dir: str | None = None) -> list[dict]:
    """The examples of ``data/<i_j>_few_shot.json`` when that file exists, else ``[]`` (zero-shot)."""
    path = task_file(task_id, data_dir).with_name(f"{task_id}_few_shot.json")
    if not path.is_file():
        return []
    sources.record_read(path)
    return _read_cached(str(path.resolve()), path.stat().st_mtime_ns)


def load_task_docs(task: str, data_dir: str | None = None) -> list[dict]:
    """The docs of one task, validated, with LexEval's prompt built."""
    task_id = normalize_task_id(task)
    path = task_file(task_id, data_dir)
    sources.record_read(path)
    records = _read_cached(str(path.resolve()), path.stat().st_mtime_ns)
    examples = few_shot_examples(task_id, data_dir)
    return [
        {
            "idx": index,
            "task_id": task_id,
            "prompt": build_prompt(task_id, record["instruction"], record["input"], examples),
            "input": record["input"],
            "answer": record["answer"],
        }
        for index, record in enumerate(records)
    ]
