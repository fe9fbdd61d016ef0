"""Read predictions to re-score: LawBench's prediction files and ``lawbench eval`` samples files.

Two layouts are accepted (told apart by the suffix):

* ``*.json`` — LawBench / OpenCompass predictions, ``{"0": {"origin_prompt", "prediction", "refr"},
  "1": …}`` with keys ``"0"`` … ``"n-1"`` (LawBench reads them in that order);
* ``*.jsonl`` — ``samples_<task>_<time>.jsonl`` written by ``lawbench eval`` (lm-eval sample lines):
  the record is ``doc`` (instruction, question, answer), the output ``filtered_resps[0]`` (else
  ``resps[0][0]``), the prompt ``arguments.gen_args_0.arg_0``.

Malformed input raises a one-line :class:`~lawbench.errors.DataError` naming the file and the record
key or line.

>>> import json, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "3-4.json")
>>> _ = open(path, "w", encoding="utf-8").write(json.dumps(
...     {"0": {"origin_prompt": "…", "prediction": "[刑期]4个月<eoa>", "refr": "刑期:4个月"}}))
>>> score_file(None, path)["score"]
1.0
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from lawbench.errors import DataError, TaskError
from lawbench.metrics.lawbench_oc.scoring import TASK_PREFIX, normalize_task_id, record_fields, score_records
from lawbench.utils.io import read_json_strict, read_jsonl_strict


def _check_record(record: object, where: str) -> dict:
    prediction, refr = record_fields(record, where)
    return {"origin_prompt": record.get("origin_prompt", ""), "prediction": prediction, "refr": refr}


def _lawbench_records(path: Path) -> tuple[list[dict], list[str]]:
    payload = read_json_strict(path)
    if not isinstance(payload, dict):
        raise DataError(f"{path}: expected LawBench predictions, an object keyed \"0\", \"1\", …; "
                        f"got a {type(payload).__name__}")
    expected = [str(i) for i in range(len(payload))]
    missing = [key for key in expected if key not in payload]
    if missing:
        stray = sorted(set(payload) - set(expected))[:1]
        raise DataError(f"{path}: record key '{missing[0]}' is missing "
                        f"(keys must run from \"0\" to \"{len(payload) - 1}\""
                        f"{'; found ' + repr(stray[0]) if stray else ''})")
    labels = [f"{path} record '{key}'" for key in expected]
    return [_check_record(payload[key], label) for key, label in zip(expected, labels)], labels


def _sample_record(sample: object, where: str) -> dict:
    if not isinstance(sample, dict):
        raise DataError(f"{where}: expected an lm-eval sample object, got {type(sample).__name__}")
    doc = sample.get("doc")
    if not isinstance(doc, dict) or not isinstance(doc.get("answer"), str):
        raise DataError(f"{where}: field 'doc' must be an object with the reference text 'answer'")
    filtered, resps = sample.get("filtered_resps"), sample.get("resps")
    if isinstance(filtered, list) and filtered and isinstance(filtered[0], str):
        prediction = filtered[0]
    elif (isinstance(resps, list) and resps and isinstance(resps[0], list) and resps[0]
          and isinstance(resps[0][0], str)):
        prediction = resps[0][0]
    else:
        raise DataError(f"{where}: no model output: expected 'filtered_resps' [text] or 'resps' [[text]]")
    if isinstance(doc.get("instruction"), str) and isinstance(doc.get("question"), str):
        # LawBench's prompt as lawbench eval scores it (2-1 cuts its sentence from it): the doc's, not the
        # chat-templated text the model was sent, which would add the template's tags to the sentence
        prompt = f"{doc['instruction']}\n{doc['question']}"
    else:
        prompt = _first_argument(sample.get("arguments"))
    return {"origin_prompt": prompt, "prediction": prediction, "refr": doc["answer"]}


def _first_argument(arguments: object) -> object:
    """The prompt in either layout: lm-eval's tracker dict (``gen_args_0.arg_0``) or a list of tuples.

    >>> _first_argument({"gen_args_0": {"arg_0": "p"}}), _first_argument([["p", {}]]), _first_argument([[]])
    ('p', 'p', None)
    """
    first = arguments.get("gen_args_0") if isinstance(arguments, dict) else (
        arguments[0] if isinstance(arguments, list) and arguments else None)
    if isinstance(first, dict):
        return first.get("arg_0")
    return first[0] if isinstance(first, list) and first else None


def _sample_records(path: Path) -> tuple[list[dict], list[str]]:
    records, labels = [], []
    for number, sample in read_jsonl_strict(path):
        where = f"{path} line {number}"
        records.append(_sample_record(sample, where))
        labels.append(where)
    return records, labels


def _read(path: str | os.PathLike) -> tuple[list[dict], list[str]]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    return _sample_records(path) if path.suffix == ".jsonl" else _lawbench_records(path)


def load_predictions(path: str | os.PathLike) -> list[dict]:
    """Records ``{"origin_prompt", "prediction", "refr"}`` of a LawBench ``.json`` or samples ``.jsonl`` file.

    >>> import json, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "samples_lawbench_oc_1_2_2026.jsonl")
    >>> line = {"doc": {"instruction": "…", "question": "…", "answer": "正确答案：B。"},
    ...         "arguments": {"gen_args_0": {"arg_0": "<prompt>"}}, "resps": [["B"]], "filtered_resps": ["B"]}
    >>> _ = open(path, "w", encoding="utf-8").write(json.dumps(line, ensure_ascii=False))
    >>> load_predictions(path)  # the prompt as LawBench builds it from the doc (not the templated one sent)
    [{'origin_prompt': '…\\n…', 'prediction': 'B', 'refr': '正确答案：B。'}]
    """
    return _read(path)[0]


def infer_task(path: str | os.PathLike) -> str:
    """The task of a file named like LawBench's (``3-4.json``) or lawbench's
    (``samples_lawbench_oc_3_4_<time>.jsonl``)."""
    name = Path(path).name
    found = re.match(rf"samples_{TASK_PREFIX}(\d+_\d+)_", name) or re.match(r"(\d+-\d+)\.json$", name)
    if not found:
        raise TaskError(f"{path}: cannot tell the task from the file name; pass it (e.g. --task 3-4)")
    return normalize_task_id(found.group(1))


def score_file(task: str | None, path: str | os.PathLike, data_dir: str | None = None) -> dict:
    """Score a predictions file for ``task`` (``None``: inferred from the file name); see :func:`score_task`
    (``data_dir``: where 2-1 finds ChERRANT's tables, ``<data_dir>/cherrant/``)."""
    task_id = normalize_task_id(task) if task else infer_task(path)
    records, labels = _read(path)
    scored = score_records(task_id, records, source=str(path), where=labels.__getitem__, data_dir=data_dir)
    return {**scored, "predictions": str(path)}
