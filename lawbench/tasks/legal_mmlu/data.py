"""Load the legal multiple-choice sources in their original layouts into one doc schema.

Every doc is ``{"id", "question", "A", "B", "C", "D", "answer"}`` where ``answer`` holds the correct
letter(s) (``"C"``, or ``"ABD"`` for a multi-answer question). Each loader returns
``{"test": [...], "dev": [...]}``: ``test`` is the split that is scored, ``dev`` the few-shot pool.

| source | files | scored split | few-shot pool |
|---|---|---|---|
| ``mmlu_legal`` | ``{dev,test}/<subject>_{dev,test}.csv`` (no header) | test | dev |
| ``cmmlu_legal`` | ``{dev,test}/<subject>.csv`` (``,Question,A,B,C,D,Answer``) | test | dev |
| ``ceval_legal`` | ``{dev,val}/<subject>_{dev,val}.csv`` (``id,question,A,B,C,D,answer``) | val (public answers) | dev |
| ``jecqa`` | ``0_train.jsonl`` (``statement``, ``option_list``, ``answer`` list) | the rest | first 5 of the kind |
| ``disc_law_eval`` | ``objective/mcq_{sing,mult}_<exam>.csv``, ``few_shot/mcq_{sing,mult}_examples.csv`` | objective | few_shot |

Without a local copy, MMLU / CMMLU / C-Eval come from their hub datasets (``cais/mmlu``,
``haonan-li/cmmlu``, ``ceval/ceval-exam``); JEC-QA and DISC-Law-Eval have no hub copy of this layout.
"""  # noqa: E501 (the table's rows)

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from lawbench import sources
from lawbench.errors import DataError
from lawbench.utils.io import read_jsonl_strict, read_text_strict

LETTERS = ("A", "B", "C", "D")
JECQA_FEWSHOT = 5  # JEC-QA has no dev split: the first 5 items of each kind become the few-shot pool

# (hub repo, hub config name pattern, split names) for sources that exist on the hub in a known schema.
HUB_DATASETS = {
    "mmlu_legal": ("cais/mmlu", {"test": "test", "dev": "dev"}),
    "cmmlu_legal": ("haonan-li/cmmlu", {"test": "test", "dev": "dev"}),
    "ceval_legal": ("ceval/ceval-exam", {"test": "val", "dev": "dev"}),
}


def _read_csv(path: Path, header: bool) -> list[list[str]]:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    sources.record_read(path)
    rows = list(csv.reader(io.StringIO(read_text_strict(path))))
    return rows[1:] if header else rows


def _doc(path: Path, row_no: int, doc_id: str, question: str, options: list[str], answer: str) -> dict:
    where = f"{path} row {row_no}"
    if not question.strip():
        raise DataError(f"{where}: empty question")
    if len(options) != 4 or any(not isinstance(o, str) for o in options):
        raise DataError(f"{where}: expected 4 options A-D, got {len(options)}")
    answer = answer.strip().upper()
    if not answer or any(letter not in LETTERS for letter in answer) or len(set(answer)) != len(answer):
        raise DataError(f"{where}: answer must be option letters A-D, got {answer!r}")
    return {"id": doc_id, "question": question.strip(), **dict(zip(LETTERS, (o.strip() for o in options))),
            "answer": "".join(sorted(answer))}


def _rows_to_docs(path: Path, rows: list[list[str]], columns: int, pick) -> list[dict]:
    docs = []
    for number, row in enumerate(rows, start=1):
        if len(row) < columns:
            raise DataError(f"{path} row {number}: expected {columns} columns, got {len(row)}")
        docs.append(pick(number, row))
    return docs


# --------------------------------------------------------------------------- MMLU / CMMLU / C-Eval
def _local_or_hub(source: str, subject: str, data_dir: str | None, local_loader) -> dict[str, list[dict]]:
    folder = sources.local_source_dir(source, data_dir)
    if folder is not None:
        return local_loader(folder)
    return _hub(source, subject, data_dir)


def load_mmlu(subject: str, data_dir: str | None = None) -> dict[str, list[dict]]:
    def local(folder: Path):
        out = {}
        for split in ("test", "dev"):
            path = folder / split / f"{subject}_{split}.csv"
            out[split] = _rows_to_docs(path, _read_csv(path, header=False), 6,
                                       lambda n, r, p=path, s=split: _doc(p, n, f"{s}-{n}", r[0], r[1:5], r[5]))
        return out

    return _local_or_hub("mmlu_legal", subject, data_dir, local)


def load_cmmlu(subject: str, data_dir: str | None = None) -> dict[str, list[dict]]:
    def local(folder: Path):
        out = {}
        for split in ("test", "dev"):
            path = folder / split / f"{subject}.csv"
            out[split] = _rows_to_docs(path, _read_csv(path, header=True), 7,
                                       lambda n, r, p=path, s=split: _doc(p, n, f"{s}-{r[0]}", r[1], r[2:6], r[6]))
        return out

    return _local_or_hub("cmmlu_legal", subject, data_dir, local)


def load_ceval(subject: str, data_dir: str | None = None) -> dict[str, list[dict]]:
    def local(folder: Path):
        out = {}
        for split, file_split in (("test", "val"), ("dev", "dev")):
            path = folder / file_split / f"{subject}_{file_split}.csv"
            out[split] = _rows_to_docs(path, _read_csv(path, header=True), 7,
                                       lambda n, r, p=path, s=file_split: _doc(p, n, f"{s}-{r[0]}", r[1], r[2:6],
                                                                               r[6]))
        return out

    return _local_or_hub("ceval_legal", subject, data_dir, local)


def _hub(source: str, subject: str, data_dir: str | None) -> dict[str, list[dict]]:
    import datasets

    repo, splits = HUB_DATASETS[source]
    root = sources.data_dir_from(data_dir)
    expected = f"{root / source}/" if root else f"<data-dir>/{source}/"
    try:
        loaded = {ours: datasets.load_dataset(repo, subject, split=theirs) for ours, theirs in splits.items()}
    except Exception as err:  # offline, renamed config...: the same advice either way
        raise DataError(f"no local copy of '{source}' and the hub dataset {repo} ({subject}) is unavailable "
                        f"({type(err).__name__}); provide the folder {expected} "
                        f"(--data-dir or $LAWBENCH_DATA_DIR)") from None
    out = {}
    for split, rows in loaded.items():
        docs = []
        for n, row in enumerate(rows, start=1):
            where = Path(f"{repo}/{subject}/{split}")
            if "choices" in row:  # cais/mmlu: choices list + integer answer
                docs.append(_doc(where, n, f"{split}-{n}", row["question"], list(row["choices"]),
                                 LETTERS[row["answer"]]))
            else:
                question = row.get("Question", row.get("question", ""))
                answer = row.get("Answer", row.get("answer", ""))
                docs.append(_doc(where, n, f"{split}-{row.get('id', n)}", question, [row[x] for x in LETTERS], answer))
        out[split] = docs
    return out


# --------------------------------------------------------------------------- JEC-QA
def load_jecqa(kind: str, data_dir: str | None = None) -> dict[str, list[dict]]:
    """``kind="single"``: one correct option; ``"multi"``: two or more (scored by exact set match)."""
    path = sources.resolve_source("jecqa", data_dir) / "0_train.jsonl"
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    sources.record_read(path)
    docs = []
    for number, record in read_jsonl_strict(path):
        for key in ("statement", "option_list", "answer"):
            if key not in record:
                raise DataError(f"{path} line {number}: missing field '{key}'")
        options, answer = record["option_list"], record["answer"]
        if not isinstance(options, dict) or not isinstance(answer, list):
            raise DataError(f"{path} line {number}: 'option_list' must be an object and 'answer' a list")
        if not answer:
            continue  # 4 upstream records have no answer at all: nothing to score
        if (kind == "single") != (len(answer) == 1):
            continue
        docs.append(_doc(Path(path), number, str(record.get("id", number)), record["statement"],
                         [options.get(x, "") for x in LETTERS], "".join(answer)))
    return {"dev": docs[:JECQA_FEWSHOT], "test": docs[JECQA_FEWSHOT:]}


# --------------------------------------------------------------------------- DISC-Law-Eval
_OPTION_LINE = re.compile(r"^\s*([A-D])\s*[.．、:：]\s*(.*)$")


def _split_inline_options(path: Path, number: int, text: str) -> tuple[str, list[str]]:
    """Few-shot examples keep their options inside the question text, one ``A.xxx`` line each."""
    stem, options = [], {}
    for line in text.splitlines():
        match = _OPTION_LINE.match(line)
        if match:
            options[match.group(1)] = match.group(2)
        elif not options:
            stem.append(line)
    if set(options) != set(LETTERS):
        raise DataError(f"{path} row {number}: expected option lines A. to D. in the question text")
    return "\n".join(stem), [options[x] for x in LETTERS]


def load_disc(kind: str, exam: str, data_dir: str | None = None) -> dict[str, list[dict]]:
    """``kind`` is ``sing`` or ``mult``; ``exam`` one of nje, pae, cpa, ungee, lbk, pfe."""
    folder = sources.resolve_source("disc_law_eval", data_dir)
    path = folder / "objective" / f"mcq_{kind}_{exam}.csv"
    test = _rows_to_docs(path, _read_csv(path, header=True), 7,
                         lambda n, r: _doc(path, n, f"{exam}-{n}", r[0], r[2:6], r[1]))
    shots_path = folder / "few_shot" / f"mcq_{kind}_examples.csv"
    dev = []
    for number, row in enumerate(_read_csv(shots_path, header=True), start=1):
        if len(row) < 2:
            raise DataError(f"{shots_path} row {number}: expected columns input,output")
        question, options = _split_inline_options(shots_path, number, row[0])
        letters = "".join(m.group(1) for m in map(_OPTION_LINE.match, row[1].splitlines()) if m) or row[1]
        dev.append(_doc(shots_path, number, f"shot-{number}", question, options, letters))
    return {"test": test, "dev": dev}
