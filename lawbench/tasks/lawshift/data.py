"""Read LawShift in its original layout, validate it, and build the prompts.

Layout (HF ``triangularPeach/LawShift``, or ``<data-dir>/lawshift/``)::

    <scenario>/original.json           [{"fact", "relevant_articles", "charge", "prison_time"}, ...]
    <scenario>/poisoned.json           same schema, index-aligned, facts rewritten for the new statute
    <scenario>/articles_original.json  {"354-0-0": "【容留他人吸毒罪】……", ...}
    <scenario>/articles_poisoned.json  the same ids with the changed statute text

Every record is checked on load; a missing or mistyped field raises a one-line
:class:`~lawbench.errors.DataError` that names the file and the record index.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from lawbench import sources
from lawbench.errors import DataError
from lawbench.metrics.judgment import XT
from lawbench.metrics.lawshift import expected_outcome
from lawbench.tasks.lawshift.scenarios import BY_NAME, SCENARIOS, SIDES
from lawbench.utils.io import read_json_strict

log = logging.getLogger(__name__)

SOURCE = "lawshift"
ARTICLE_MODES = ("new", "both")  # poisoned side: show the changed statute, or old and new side by side

USER_TEMPLATE = "【案件事实】\n{fact}\n\n【相关法条】\n{articles}\n\n请依据上述法条作出判决预测。"
BOTH_TEMPLATE = (
    "- 修订前（旧法）：\n{old}\n- 修订后（新法，本案适用）：\n{new}\n\n"
    "【说明】新法是对旧法的修订，请依据新法判决。"
)
MISSING_ARTICLE = "（法条内容未提供）"

FILES = {
    "original": ("original.json", "articles_original.json"),
    "poisoned": ("poisoned.json", "articles_poisoned.json"),
}


def required_files(side: str, articles_mode: str = "new") -> tuple[str, ...]:
    """Files one scenario side needs (the ``both`` prompt also shows the original statute)."""
    files = FILES[side]
    if side == "poisoned" and articles_mode == "both":
        files = files + ("articles_original.json",)
    return files


# --------------------------------------------------------------------------- validation
def _type_name(value: Any) -> str:
    return type(value).__name__


def validate_records(records: Any, path: Path) -> list[dict]:
    """Check the LawShift record schema; errors name the file and the record index."""
    if not isinstance(records, list):
        raise DataError(f"{path}: expected a JSON list of records, got {_type_name(records)}")
    for index, record in enumerate(records):
        where = f"{path} record {index}"
        if not isinstance(record, dict):
            raise DataError(f"{where}: expected an object, got {_type_name(record)}")
        for key, kind in (("fact", str), ("charge", str), ("relevant_articles", list), ("prison_time", int)):
            if key not in record:
                raise DataError(f"{where}: missing field '{key}'")
            value = record[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise DataError(f"{where}: field '{key}' must be {kind.__name__}, "
                                f"got {_type_name(value)} {value!r:.40}")
        if not record["fact"].strip():
            raise DataError(f"{where}: field 'fact' is empty")
        if record["prison_time"] < 0:
            raise DataError(f"{where}: field 'prison_time' must be >= 0 months, got {record['prison_time']}")
        bad = [a for a in record["relevant_articles"] if not isinstance(a, str)]
        if bad:
            raise DataError(f"{where}: field 'relevant_articles' must hold article ids as strings, got {bad[0]!r}")
    return records


def validate_articles(articles: Any, path: Path) -> dict[str, str]:
    if not isinstance(articles, dict):
        raise DataError(f"{path}: expected a JSON object mapping article ids to text, got {_type_name(articles)}")
    for key, value in articles.items():
        if not isinstance(value, str):
            raise DataError(f"{path}: article '{key}' must be text, got {_type_name(value)}")
    return articles


@lru_cache(maxsize=256)
def _read_validated(path_str: str, mtime_ns: int, kind: str) -> Any:
    # Cached on (path, mtime): both sides of a scenario share articles files, and a file that changes
    # between two runs in one process is read again.
    path = Path(path_str)
    payload = read_json_strict(path)
    return validate_records(payload, path) if kind == "records" else validate_articles(payload, path)


def read_validated(path: Path, kind: str) -> Any:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    sources.record_read(path)
    return _read_validated(str(path.resolve()), path.stat().st_mtime_ns, kind)


# --------------------------------------------------------------------------- prompts
def format_articles(ids: list[str], articles: dict[str, str]) -> str:
    return "\n".join(f"【{aid}】{articles.get(aid, MISSING_ARTICLE)}" for aid in ids)


def build_prompt(record: dict, side: str, articles: dict[str, str], old_articles: dict[str, str] | None,
                 ids: list[str] | None = None) -> str:
    """The case prompt with the articles ``ids`` (default: the gold ``relevant_articles``)."""
    ids = record["relevant_articles"] if ids is None else ids
    if side == "poisoned" and old_articles is not None:
        text = BOTH_TEMPLATE.format(old=format_articles(ids, old_articles), new=format_articles(ids, articles))
    else:
        text = format_articles(ids, articles)
    return USER_TEMPLATE.format(fact=record["fact"].strip(), articles=text)


def target_text(record: dict, side: str, shift_type: str) -> str:
    """The expected answer written in the reference format, for logs and the site."""
    outcome = expected_outcome(record["charge"], record["prison_time"], side, shift_type)
    if not outcome.guilty:
        return "不违规"
    if outcome.term is None:
        bound = {"TU": ">=120", "TD": "<=36", "NX": ">=36"}[shift_type]
        return f"{outcome.charge} | {bound}"
    return f"{outcome.charge} | {outcome.term if outcome.term != XT else 'XT'}"


# --------------------------------------------------------------------------- loading
def load_side_dataset(scenario: str, side: str, data_dir: str | None = None, articles_mode: str = "new",
                      rag_index: str | None = None, rag_k: int = 5) -> list[dict]:
    """The docs of one scenario side, validated, with prompt and target built.

    With ``rag_index`` (a ``lawbench rag`` index folder) the prompt carries the top ``rag_k`` retrieved
    provisions instead of the gold articles, and each doc records them as ``retrieved_articles``.
    """
    if scenario not in BY_NAME:
        raise DataError(f"unknown LawShift scenario '{scenario}'; known: {', '.join(s.name for s in SCENARIOS)}")
    if side not in SIDES:
        raise DataError(f"LawShift side must be one of {SIDES}, got '{side}'")
    if articles_mode not in ARTICLE_MODES:
        raise DataError(f"lawshift_articles must be one of {ARTICLE_MODES}, got '{articles_mode}'")
    info = BY_NAME[scenario]
    folder = sources.resolve_source(SOURCE, data_dir) / scenario
    records_file, articles_file = FILES[side]
    records = read_validated(folder / records_file, "records")
    articles = read_validated(folder / articles_file, "articles")
    old_articles = None
    if side == "poisoned" and articles_mode == "both":
        old_articles = read_validated(folder / FILES["original"][1], "articles")
    missing = sorted({a for r in records for a in r["relevant_articles"] if a not in articles})
    if missing:
        log.warning("%s: %d article id(s) not in %s (shown as %s): %s", scenario, len(missing), articles_file,
                    MISSING_ARTICLE, ", ".join(missing[:5]))
    retrieved = None
    if rag_index:
        from lawbench.rag.context import retrieve_for_cases

        # The poisoned side's changed provisions are the law in force: they supersede the index's text.
        retrieved = retrieve_for_cases(rag_index, int(rag_k), [r["fact"] for r in records],
                                       superseding=articles if side == "poisoned" else None)
    docs = [
        {
            "idx": index,
            "scenario": scenario,
            "scenario_code": info.code,
            "shift_type": info.shift_type,
            "side": side,
            "fact": record["fact"],
            "relevant_articles": list(record["relevant_articles"]),
            "charge": record["charge"],
            "prison_time": record["prison_time"],
            "prompt": build_prompt(record, side, articles, old_articles),
            "target": target_text(record, side, info.shift_type),
        }
        for index, record in enumerate(records)
    ]
    for doc, record, found in zip(docs, records, retrieved or ()):
        old = found.indexed if old_articles is not None else None
        doc["prompt"] = build_prompt(record, side, found.in_force, old, ids=found.ids)
        doc["retrieved_articles"] = found.ids
    return docs


def available_sides(
    data_dir: str | None, articles_mode: str = "new"
) -> tuple[set[tuple[str, str]], dict[str, str]] | None:
    """Which (scenario, side) pairs a local copy holds, and why the others are skipped.

    Returns ``None`` when there is no local copy (the hub copy holds every scenario).
    """
    root = sources.local_source_dir(SOURCE, data_dir)
    if root is None:
        return None
    present: set[tuple[str, str]] = set()
    skipped: dict[str, str] = {}
    for scenario in SCENARIOS:
        folder = root / scenario.name
        if not folder.is_dir():
            skipped[scenario.name] = "folder missing"
            continue
        for side in SIDES:
            lacking = [f for f in required_files(side, articles_mode) if not (folder / f).is_file()]
            if lacking:
                skipped[f"{scenario.name}/{side}"] = "missing " + ", ".join(lacking)
            else:
                present.add((scenario.name, side))
    unknown = sorted(p.name for p in root.iterdir()
                     if p.is_dir() and p.name not in BY_NAME and not p.name.startswith("."))
    for name in unknown:
        if name != "logs":
            log.warning("lawshift: ignoring folder %s/%s: not one of the 31 LawShift scenarios", root, name)
    return present, skipped


# --------------------------------------------------------------------------- training prompts
TEMPLATE_FILE = Path(__file__).with_name("_default_lawshift_template")


@lru_cache(maxsize=1)
def system_prompt() -> str:
    """The task instructions (the lm-eval ``description``), so training prompts match evaluation prompts."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # ignore lm-eval's !function tags
    # Unstripped: lm-eval sends the description as the system message exactly as written.
    return yaml.load(TEMPLATE_FILE.read_text(encoding="utf-8"), Loader=_Loader)["description"]


def case_messages(record: dict, articles: dict[str, str]) -> list[dict]:
    """A LawShift-format case as the chat the evaluation sends (system instructions + case)."""
    return [{"role": "system", "content": system_prompt()},
            {"role": "user", "content": build_prompt(record, "original", articles, None)}]


def reference_answer(record: dict) -> str:
    """The reference-format answer of a case: ``<answer>罪名 | 月数</answer>`` (``XT`` for death / life)."""
    outcome = expected_outcome(record["charge"], record["prison_time"], "original", "V")
    return f"<answer>{outcome.charge} | {outcome.term}</answer>"
