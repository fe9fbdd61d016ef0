"""Reference columns: the field's published models beside your stages.

Two kinds, both turned into :class:`~lawbench.leaderboard.runs.Run` objects so the overview, slope
charts, transitions and exports treat them like stages (they come after the stages, without a parent):

* **published** — the numbers of a benchmark's own results table, shipped with lawbench
  (``published/lawbench_zero_shot.json``: LawBench's ``predictions/zero_shot/results.csv`` with its
  source and commit). Scores only: no items, so no CI and no paired test.
* **rescored** — ``lawbench leaderboard build --reference DIR``: published prediction folders
  (``DIR/<model>/`` with LawBench's ``<id>.json`` files, ``{"0": {"origin_prompt", "prediction",
  "refr"}, …}``, or LexEval's ``<Model>_<i_j>.jsonl``), scored again with lawbench's scorers. Each output
  is matched to the task's data record (by prompt for LawBench, by input for LexEval; needs the data,
  ``--data-dir`` or ``$LAWBENCH_DATA_DIR``) and logged as an item with lm-eval's document and target
  hashes, so a stage and, say, GPT-4 are compared item by item on the items both answered.

LawBench scores some tasks as a whole; an item value is given only where the task score is the mean of
the records scored alone (checked on the file), else the task has no items (reported scores only).

Example:
    >>> runs = published_runs(["GPT4"])
    >>> run = runs[0].run
    >>> runs[0].label, round(run.results["results"]["lawbench_oc_1_2"]["score,none"], 3)
    ('published:GPT4', 0.552)
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from lawbench.errors import DataError, LawbenchError
from lawbench.leaderboard.runs import Run, Sample

log = logging.getLogger(__name__)

PUBLISHED_TABLES = {"lawbench": "lawbench_zero_shot.json"}  # --published NAME -> package data file
PUBLISHED_PREFIX, RESCORED_PREFIX = "published:", "reference:"
DEFAULT_MODELS = "top5"  # the models of the benchmark README's table


@dataclass
class Reference:
    """One reference column: the run the comparator reads, and what the site says about it."""

    run: Run
    kind: str  # "published" | "rescored"
    label: str  # the column header
    info: dict = field(default_factory=dict)  # source, commit, files: shown in the run details


# ---------------------------------------------------------------------------------------------- published
def published_table(name: str = "lawbench") -> dict:
    """The packaged results table ``name`` (``{"source", "commit", "models": {model: {task: {...}}}}``)."""
    if name not in PUBLISHED_TABLES:
        raise LawbenchError(f"unknown published table '{name}'; known: {', '.join(PUBLISHED_TABLES)}")
    text = resources.files("lawbench.leaderboard").joinpath("published", PUBLISHED_TABLES[name]).read_text("utf-8")
    return json.loads(text)


def _group_entry(results: dict, members: list[str]) -> dict:
    """The ``lawbench_oc`` group as lawbench aggregates it: plain means over the members present."""
    entry = {"alias": "lawbench_oc"}
    for key in ("score,none", "abstention_rate,none"):
        values = [results[m][key] for m in members if m in results]
        if values:
            entry[key] = sum(values) / len(values)
    return entry


def published_runs(models: str | list[str] = DEFAULT_MODELS, name: str = "lawbench") -> list[Reference]:
    """Reference runs for the published models (``"top5"``, ``"all"`` or a list of names)."""
    from lawbench.metrics.lawbench_oc import SUPPORTED, TASKS

    table = published_table(name)
    known = table["models"]
    chosen = table["readme_top5"] if models == "top5" else sorted(known) if models == "all" else list(models)
    unknown = [m for m in chosen if m not in known]
    if unknown:
        raise LawbenchError(f"no published {table['benchmark']} scores for '{unknown[0]}'; "
                            f"known: {', '.join(sorted(known))}")
    references = []
    for model in chosen:
        results = {}
        for task_id, numbers in known[model].items():
            task = TASKS[task_id].task_name
            results[task] = {"alias": task, "score,none": numbers["score"],
                             "abstention_rate,none": numbers["abstention_rate"]}
        members = [TASKS[t].task_name for t in SUPPORTED]
        results["lawbench_oc"] = _group_entry(results, members)
        source_file = Path(f"{table['file']}@{table['commit'][:8]}")
        run = Run(id=PUBLISHED_PREFIX + model, folder=Path("."), results_file=source_file,
                  results={"results": results, "group_subtasks": {"lawbench_oc": members},
                           "configs": _configs(results, ("score", "abstention_rate")),
                           "higher_is_better": {t: {"score": True, "abstention_rate": False} for t in results}})
        info = {"kind": "published", "benchmark": table["benchmark"], "setting": table["setting"],
                "source": table["source"], "commit": table["commit"],
                "scores": "as published (no items: no CI, no paired test)"}
        references.append(Reference(run, "published", run.id, info))
    return references


def _configs(results: dict, metrics: tuple[str, ...]) -> dict:
    """Task configs naming the metrics in order, so ``score`` is each row's primary metric."""
    return {task: {"metric_list": [{"metric": m} for m in metrics]} for task in results}


# ---------------------------------------------------------------------------------------------- rescored
def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def doc_hashes(doc: dict, target: str) -> tuple[str, str]:
    """lm-eval's ``doc_hash`` and ``target_hash`` of a logged sample (``evaluator.py``)."""
    return _hash(json.dumps(doc, indent=2, ensure_ascii=False)), _hash(str(target))


def _sample(doc_id: int, doc: dict, target: str, prompt: str, output: str, values: dict) -> Sample:
    doc_hash, target_hash = doc_hashes(doc, target)
    return Sample(doc_id=doc_id, doc=doc, target=target, prompt=prompt, resps=[[output]], filtered_resps=[output],
                  doc_hash=doc_hash, prompt_hash=None, target_hash=target_hash, continuations=[], values=values)


class _Matcher:
    """Data records by key; each lookup takes the next unused record (duplicate inputs: successive ones).

    >>> matcher = _Matcher(["a", "b", "a"])
    >>> matcher.take("a"), matcher.take("a"), matcher.take("a"), matcher.take(None)
    (0, 2, None, None)
    """

    def __init__(self, keys: list[str]):
        self.keys = keys
        self.free: dict[str, list[int]] = {}
        for index, key in enumerate(keys):
            self.free.setdefault(key, []).append(index)

    def take(self, key: str | None) -> int | None:
        found = self.free.get(key) if isinstance(key, str) else None
        return found.pop(0) if found else None

    def take_suffix(self, key: str | None, shortest: int = 30) -> int | None:
        """The first unused record that ends with ``key`` (LexEval later put an instruction line in front
        of 3_2's inputs; its published outputs hold the older inputs).

        >>> _Matcher(["指令\\n事实甲乙丙"]).take_suffix("事实甲乙丙", shortest=3)
        0
        """
        if not isinstance(key, str) or len(key) < shortest:
            return None
        for index, candidate in enumerate(self.keys):
            if candidate.endswith(key) and index in self.free.get(candidate, []):
                self.free[candidate].remove(index)
                return index
        return None

    def take_within(self, text: str | None) -> int | None:
        """The unused record whose key is the longest one inside ``text`` (a prompt a model's chat
        template wrapped, as OpenCompass logs it for HF models: ``<|im_start|>user\\n…<|im_end|>…``).

        >>> _Matcher(["题一", "题二"]).take_within("<|im_start|>user\\n题二<|im_end|>")
        1
        """
        if not isinstance(text, str):
            return None
        found = [(len(key), -index, key) for key, free in self.free.items() if free and key and key in text
                 for index in free[:1]]
        if not found:
            return None
        _, index, key = max(found)
        self.free[key].remove(-index)
        return -index


def _lexeval_run(task_id: str, path: Path, data_dir: str | None) -> tuple[dict, dict]:
    from lawbench.metrics.lexeval import TASKS, read_outputs, score_items, summarize
    from lawbench.tasks.lexeval.utils import METRIC_KEYS

    pairs = read_outputs(path)
    scores = score_items(task_id, pairs)
    summary = summarize(task_id, scores)
    entry = {"alias": TASKS[task_id].task_name, "sample_len": summary["n"]}
    for key in ("score", "score_strict", "f1", "f1_strict", "abstention_rate", "abstention_rate_strict"):
        if isinstance(summary.get(key), float) and not math.isnan(summary[key]):
            entry[f"{key},none"] = summary[key]
    samples = {}
    docs = _docs("lexeval", task_id, data_dir)
    if docs is not None:
        lines = path.read_text(encoding="utf-8").split("\n")
        inputs = [json.loads(line).get("input") for line in lines if line.strip()]
        cue = TASKS[task_id].answer_cue
        matcher = _Matcher([doc["input"].strip() for doc in docs])
        for raw_input, (output, _), score in zip(inputs, pairs, scores):
            # the output file's input is the data input + "\n答案:" (a few files lost the cue: strip both)
            text = raw_input.strip().removesuffix(cue).strip() if isinstance(raw_input, str) else None
            index = matcher.take(text)
            index = matcher.take_suffix(text) if index is None else index
            if index is None:
                continue
            doc = docs[index]
            values = {metric: score.value[key] for metric, key in METRIC_KEYS[TASKS[task_id].kind].items()}
            samples[doc["idx"]] = _sample(doc["idx"], doc, doc["answer"] or "", doc["prompt"], output, values)
    return entry, samples


def _single(task_id: str, record: dict, data_dir: str | None = None) -> float | None:
    """The task score of one record alone (``None`` where LawBench skips it)."""
    from lawbench.metrics.lawbench_oc import score_task

    value = score_task(task_id, [record], data_dir=data_dir)["score"]
    return None if not isinstance(value, float) or math.isnan(value) else value


def _prompt_text(origin) -> str | None:
    """The prompt of a LawBench record: text, or OpenCompass's turns ``[{"role": "HUMAN", "prompt": …}]``.

    >>> _prompt_text([{"role": "HUMAN", "prompt": "题目"}]), _prompt_text("题目")
    ('题目', '题目')
    """
    if isinstance(origin, list):
        turns = [turn.get("prompt") for turn in origin if isinstance(turn, dict) and turn.get("role") == "HUMAN"]
        return turns[-1] if turns and isinstance(turns[-1], str) else None
    return origin if isinstance(origin, str) else None


def _lawbench_run(task_id: str, path: Path, data_dir: str | None) -> tuple[dict, dict]:
    from lawbench.metrics.lawbench_oc import TASKS, load_predictions, score_task

    records = load_predictions(path)
    result = score_task(task_id, records, data_dir=data_dir)  # data_dir: 2-1 reads ChERRANT's tables
    entry = {"alias": TASKS[task_id].task_name, "sample_len": result["n"]}
    for key in ("score", "score_strict", "abstention_rate", "abstention_rate_strict"):
        if isinstance(result.get(key), float) and not math.isnan(result[key]):
            entry[f"{key},none"] = result[key]
    samples = {}
    docs = _docs("lawbench_oc", task_id, data_dir)
    singles = [_single(task_id, record, data_dir) for record in records]
    scored = [v for v in singles if v is not None]  # a record LawBench skips (3-4's 死刑) has no value
    decomposable = bool(scored) and abs(sum(scored) / len(scored) - result["score"]) <= 1e-9
    if docs is not None and decomposable:
        from lawbench.tasks.lawbench_oc.data import build_prompt

        keys = [build_prompt(d["instruction"], d["question"]) for d in docs]
        matcher = _Matcher(keys)
        for record, value in zip(records, singles):
            prompt = _prompt_text(record["origin_prompt"])
            index = matcher.take(prompt)
            index = matcher.take_within(prompt) if index is None else index
            if index is not None and value is not None:
                doc = docs[index]
                samples[doc["idx"]] = _sample(doc["idx"], doc, doc["answer"], keys[index], record["prediction"],
                                              {"score": value})
    elif docs is not None:
        log.info("%s: LawBench %s is not a mean over records: no items, reported score only", path, task_id)
    return entry, samples


def _docs(family: str, task_id: str, data_dir: str | None) -> list[dict] | None:
    """The task's docs as ``lawbench eval`` logs them (``None`` without the data: no items then)."""
    loader = {"lexeval": "lawbench.tasks.lexeval.data", "lawbench_oc": "lawbench.tasks.lawbench_oc.data"}[family]
    import importlib

    try:
        return importlib.import_module(loader).load_task_docs(task_id, data_dir)
    except DataError as err:
        log.warning("reference: no %s data for %s (%s); its outputs are not paired item by item", family,
                    task_id, err)
        return None


def _task_of(path: Path) -> tuple[str, str] | None:
    """``(family, task id)`` of a prediction file name, or ``None`` for any other file."""
    import re

    from lawbench.metrics.lawbench_oc import TASKS as LAWBENCH
    from lawbench.metrics.lexeval.tasks import task_of_file_name

    if path.suffix == ".jsonl":
        task_id = task_of_file_name(path.name)
        return ("lexeval", task_id) if task_id else None
    found = re.fullmatch(r"(\d+-\d+)\.json", path.name)
    if found and found.group(1) in LAWBENCH and (LAWBENCH[found.group(1)].item or LAWBENCH[found.group(1)].scorer):
        return "lawbench_oc", found.group(1)
    return None


def _resources_ready(task_id: str, path: Path, data_dir: str | None) -> bool:
    """Whether a LawBench task's scorer finds what it reads (2-1: ChERRANT's tables); else a warning."""
    from lawbench.errors import DataError
    from lawbench.metrics.cherrant.resources import tables_dir
    from lawbench.metrics.lawbench_oc import TASKS

    if not TASKS[task_id].reads_prompts:
        return True
    try:
        tables_dir(data_dir)
    except DataError as err:
        log.warning("reference: %s not rescored: %s", path, err)
        return False
    return True


def _model_folders(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise LawbenchError(f"{folder}: no such folder (--reference takes a folder of model prediction folders)")
    if any(_task_of(p) for p in folder.iterdir() if p.is_file()):
        return [folder]
    found = sorted(p for p in folder.iterdir() if p.is_dir() and any(_task_of(f) for f in p.iterdir() if f.is_file()))
    if not found:
        raise LawbenchError(f"{folder}: no prediction files found (expected <model>/<id>.json from LawBench or "
                            "<model>/<Model>_<i_j>.jsonl from LexEval)")
    return found


def reference_runs(folder: str | Path, data_dir: str | None = None) -> list[Reference]:
    """One rescored reference per model folder under ``folder`` (see the module docstring)."""
    from tqdm.auto import tqdm

    references = []
    for model_dir in _model_folders(Path(folder)):
        results, samples = {}, {}
        files = sorted(p for p in model_dir.iterdir() if p.is_file() and _task_of(p))
        for path in tqdm(files, desc=f"reference {model_dir.name}", unit="file", disable=None, leave=False):
            family, task_id = _task_of(path)
            if family == "lawbench_oc" and not _resources_ready(task_id, path, data_dir):
                continue
            build = _lexeval_run if family == "lexeval" else _lawbench_run
            entry, items = build(task_id, path, data_dir)
            task = entry["alias"]
            results[task] = entry
            if items:
                samples[task] = {"none": items}
        run = Run(id=RESCORED_PREFIX + model_dir.name, folder=model_dir, results_file=Path(model_dir.name),
                  results={"results": results, "group_subtasks": {},
                           "configs": _configs(results, ("score", "f1", "abstention_rate"))}, samples=samples)
        info = {"kind": "rescored", "predictions": model_dir.name, "files": len(files),
                "scored with": "lawbench's scorers (LawBench / LexEval exact)",
                "items paired": sum(len(s["none"]) for s in samples.values())}
        references.append(Reference(run, "rescored", run.id, info))
    return references


# ---------------------------------------------------------------------------------------------- the site
def reference_stages(references: list[Reference], taken: set[str]):
    """The references as lineage-less stages, after the real ones (ids must not collide with runs)."""
    from lawbench.leaderboard.lineage import Stage

    stages = []
    for ref in references:
        if ref.run.id in taken:
            raise LawbenchError(f"reference '{ref.run.id}' has the name of a run folder or of another reference")
        taken.add(ref.run.id)
        stages.append(Stage(ref.run.id, ref.label, None, ref.run.id, 0))
    return stages


def reference_pairs(stages, references: list[Reference]) -> list[dict]:
    """Transitions between each rescored reference and each stage (only those have items)."""
    return [{"a": ref.run.id, "b": stage.id, "relation": "reference"}
            for ref in references if ref.run.samples for stage in stages]


def add_reference_changes(rows: list[dict], comparator, focus: str | None, references: list[Reference]) -> None:
    """``row["vs_reference"][ref]``: the paired change of stage ``focus`` against each reference."""
    for row in rows:
        row["vs_reference"] = {}
        if focus is None or focus not in row["cells"]:
            continue
        key = f"{row['metric']},{row['filter']}"
        for ref in references:
            if ref.run.id in row["cells"]:
                change = comparator.change(ref.run.id, focus, row["node"], key, row["higher_is_better"])
                if change is not None:
                    row["vs_reference"][ref.run.id] = change
