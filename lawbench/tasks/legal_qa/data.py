"""Open legal Q&A sources as ``{"idx", "prompt", "reference"}`` docs.

| subtask | source file | prompt | reference |
|---|---|---|---|
| ``legal_qa_disc_subjective`` | ``disc_law_eval/subjective/qa_short_answer.json`` (``input``, ``output``) | ``input`` | ``output`` |
| ``legal_qa_lawbench_3_8`` (consultation) | ``lawbench_oc/zero_shot/3-8.json`` | LawBench's ``instruction\\nquestion`` | ``answer`` without ``回答:`` |
| ``legal_qa_lawbench_1_1`` (article recitation) | ``lawbench_oc/zero_shot/1-1.json`` | LawBench's ``instruction\\nquestion`` | ``answer`` without ``答案:`` |

LawBench's own scorer keeps the ``回答:`` prefix in 3-8 references (quirk Q15 of the lawbench_oc
README); here both prefixes go, so the text metrics compare content with content.
"""  # noqa: E501 (the table's rows)

from __future__ import annotations

import re

from lawbench import sources
from lawbench.errors import DataError
from lawbench.utils.io import read_json_strict

_ANSWER_PREFIX = re.compile(r"^\s*(?:回答|答案)\s*[:：]\s*")


def strip_answer_prefix(text: str) -> str:
    """``"回答:依法…"`` → ``"依法…"``.

    >>> strip_answer_prefix("答案: 第一条……")
    '第一条……'
    """
    return _ANSWER_PREFIX.sub("", text, count=1).strip()


def load_disc_subjective(data_dir: str | None = None) -> list[dict]:
    path = sources.resolve_source("disc_law_eval", data_dir) / "subjective" / "qa_short_answer.json"
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    sources.record_read(path)
    records = read_json_strict(path)
    if not isinstance(records, list):
        raise DataError(f"{path}: expected a JSON list of records")
    docs = []
    for index, record in enumerate(records):
        if not isinstance(record, dict) or not all(isinstance(record.get(k), str) for k in ("input", "output")):
            raise DataError(f"{path} record {index}: needs text fields 'input' and 'output'")
        docs.append({"idx": index, "prompt": record["input"].strip(), "reference": record["output"].strip()})
    return docs


def load_lawbench_qa(task_id: str, data_dir: str | None = None) -> list[dict]:
    from lawbench.tasks.lawbench_oc.data import build_prompt, load_task_docs

    return [{"idx": d["idx"], "prompt": build_prompt(d["instruction"], d["question"]),
             "reference": strip_answer_prefix(d["answer"])} for d in load_task_docs(task_id, data_dir)]
