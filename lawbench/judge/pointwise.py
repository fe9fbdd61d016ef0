"""Judged metrics of an eval run: ``judge_score`` and ``judge_parse_rate`` on every judged task.

A task is judged when its YAML says so (``metadata: {lawbench_judge: true}``: the ``legal_qa`` subtasks,
LawBench 3-8, any open-answer task that opts in). Each item's answer is shown to the judge with the
question (the task's prompt text) and the reference answer (the task's target) under the rubric
(:mod:`lawbench.judge.rubric`). A reply that does not parse gets one repair turn; if that fails too the
item counts as unparsed (``judge_parse_rate`` < 1), never as an error.

Per item (in ``samples_*.jsonl``): ``judge_score`` (the rubric's overall score scaled to [0, 1];
``null`` when unparsed), ``judge_parse_rate`` (1 or 0) and ``judge`` (aspect scores, overall, and the
reply when it did not parse). Per task: both metrics' means with their stderrs (a mean over items: the
site bootstraps its CIs from the per-item values). Reliability figures go to the manifest:
self-consistency (the first ``--judge-repeats`` items judged a second time) and the Spearman rank
correlation of the judge's scores with ROUGE-L on the same items.

Example:
    >>> from lawbench.judge.rubric import load_rubric
    >>> scores, stats, _ = judged_items([{"text": '{"accuracy": 5, "completeness": 4, "clarity": 3}'}, None],
    ...                                 load_rubric("disc").parse)
    >>> [s.scaled if s else None for s in scores], stats
    ([0.75, None], {'parsed_first': 1, 'repaired': 0, 'unparsed': 1})
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lawbench.judge.client import JudgeClient, JudgeOptions
from lawbench.judge.rubric import Judgment, Rubric, load_rubric
from lawbench.utils.io import sha256_text

log = logging.getLogger(__name__)

JUDGE_FLAG = "lawbench_judge"  # the task-metadata key that marks a task as judged
METRICS = ("judge_score", "judge_parse_rate")


@dataclass(frozen=True)
class Item:
    question: str
    reference: str
    answer: str


def is_judged(metadata: dict | None) -> bool:
    """Whether a task's metadata opts it into judging.

    >>> is_judged({"version": 1.0, "lawbench_judge": True}), is_judged({"version": 1.0}), is_judged(None)
    (True, False, False)
    """
    return bool((metadata or {}).get(JUDGE_FLAG))


def judged_items(replies: list[dict | None], parse: Callable[[str], object | None],
                 repair: Callable[[list[int], list[dict]], list[dict | None]] | None = None):
    """Parse replies; those that do not parse (but came back) go through ``repair`` once.

    Returns ``(parsed, stats, texts)``: what ``parse`` made of each reply (``None`` when nothing), counts
    of replies parsed at once, repaired, and unparsed (refused requests or unparseable after the repair),
    and the last reply text of each item (``None`` where the request was refused).
    """
    parsed: list = [parse(r["text"]) if r else None for r in replies]
    texts = [r["text"] if r else None for r in replies]
    parsed_first = sum(p is not None for p in parsed)
    broken = [i for i, (r, p) in enumerate(zip(replies, parsed, strict=True)) if r is not None and p is None]
    repaired = 0
    if broken and repair is not None:
        for i, reply in zip(broken, repair(broken, [replies[i] for i in broken]), strict=True):
            parsed[i] = parse(reply["text"]) if reply else None
            texts[i] = reply["text"] if reply else texts[i]
            repaired += parsed[i] is not None
    return parsed, {"parsed_first": parsed_first, "repaired": repaired,
                    "unparsed": sum(p is None for p in parsed)}, texts


def judge_conversations(client: JudgeClient, rubric: Rubric, conversations: list[list[dict]], *,
                        pairwise: bool = False, variant: int = 0, desc: str = "judge"):
    """Ask, parse, repair once: :func:`judged_items` of the judge's replies (verdicts when ``pairwise``)."""
    replies = client.complete(conversations, variant=variant, desc=desc)

    def repair(indices: list[int], broken: list[dict]) -> list[dict | None]:
        follow_ups = [[*conversations[i], {"role": "assistant", "content": reply["text"]},
                       rubric.repair_message(pairwise)] for i, reply in zip(indices, broken, strict=True)]
        return client.complete(follow_ups, variant=variant, desc=f"{desc} (repair)")

    return judged_items(replies, rubric.parse_verdict if pairwise else rubric.parse, repair)


# --------------------------------------------------------------------------- eval runs
def _answer(sample: dict) -> str:
    filtered = sample.get("filtered_resps") or sample.get("resps") or [""]
    first = filtered[0]
    while isinstance(first, (list, tuple)):  # resps are [[text]]; filtered_resps [text]
        first = first[0] if first else ""
    return str(first)


def _question(task, sample: dict) -> str:
    try:
        text = task.doc_to_text(sample["doc"])
    except Exception:  # noqa: BLE001 - any task hook failure: fall back to the prompt the model saw
        text = None
    if isinstance(text, str) and text.strip():
        return text
    args = sample.get("arguments") or [[""]]
    return str(args[0][0] if args and args[0] else "")


def items_of(task, samples: list[dict]) -> tuple[str, list[int], list[Item]]:
    """The samples of the task's first filter (one judgment per item), as :class:`Item` s."""
    first_filter = samples[0].get("filter", "none") if samples else "none"
    chosen = [i for i, s in enumerate(samples) if s.get("filter", "none") == first_filter]
    return first_filter, chosen, [Item(_question(task, samples[i]), str(samples[i].get("target", "")),
                                       _answer(samples[i])) for i in chosen]


def mean_stderr(values: list[float]) -> tuple[float | None, float | None]:
    """Mean and its standard error (``None`` without values; stderr needs two).

    >>> mean_stderr([1.0, 0.0, 1.0, 0.0])
    (0.5, 0.28867513459481287)
    """
    if not values:
        return None, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(variance / len(values))


def spearman(xs: list[float], ys: list[float]) -> float | None:
    """Spearman's rank correlation (``None`` below 3 pairs or when either side is constant).

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 25])
    0.8
    """
    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    from scipy.stats import spearmanr

    return round(float(spearmanr(xs, ys).statistic), 6)


def _with_judgments(samples: list[dict], chosen: list[int], judgments: list[Judgment | None],
                    replies_text: list[str | None]) -> list[dict]:
    out = list(samples)
    for i, judgment, text in zip(chosen, judgments, replies_text, strict=True):
        sample = dict(samples[i])
        record: dict = {"parsed": judgment is not None}
        if judgment is not None:
            record.update(aspects=judgment.aspects, overall=judgment.overall)
        elif text is not None:
            record["reply"] = text[:500]  # what the judge said, to see why it did not parse
        sample.update(judge_score=judgment.scaled if judgment else None,
                      judge_parse_rate=1.0 if judgment else 0.0, judge=record)
        if isinstance(sample.get("metrics"), list):
            sample["metrics"] = [*sample["metrics"], *(m for m in METRICS if m not in sample["metrics"])]
        out[i] = sample
    return out


def judge_results(options: JudgeOptions, results: dict, tasks: dict, cache_dir: Path) -> tuple[dict, dict | None]:
    """``results`` with judged metrics on every judged task, and the manifest's ``judge`` section.

    ``tasks`` are lm-eval's task objects by name (their metadata says which are judged). Judge calls
    are cached in ``cache_dir/judge-<model and settings>.db``.
    """
    samples = results.get("samples") or {}
    names = [n for n, task in tasks.items() if is_judged(task.config.metadata) and samples.get(n)]
    if not names:
        log.warning("judge: none of the evaluated tasks is judged (judged tasks: legal_qa, lawbench_oc_3_8, ...)")
        return results, None
    rubric = load_rubric(options.judge_rubric)
    key = sha256_text(f"{options.judge_model}|{options.judge_max_tokens}")[:16]
    client = JudgeClient(options, cache_path=cache_dir / f"judge-{key}.db")
    table, new_samples, per_task, reliability = dict(results.get("results", {})), dict(samples), {}, {}
    totals = {"parsed_first": 0, "repaired": 0, "unparsed": 0}
    try:
        for name in names:
            filt, chosen, items = items_of(tasks[name], samples[name])
            conversations = [rubric.messages(it.question, it.reference, it.answer) for it in items]
            judgments, stats, texts = judge_conversations(client, rubric, conversations, desc=f"judge {name}")
            for k in totals:
                totals[k] += stats[k]
            new_samples[name] = _with_judgments(samples[name], chosen, judgments, texts)
            table[name] = {**table.get(name, {}), **_task_metrics(judgments, filt)}
            per_task[name] = {**_task_summary(judgments, rubric), "model": options.judge_model,
                              "rubric_sha256": rubric.sha256}
            reliability[name] = _reliability(client, rubric, conversations[:options.judge_repeats], judgments, items)
    finally:
        client.close()
    section = {"model": options.judge_model, "rubric": {"name": rubric.name, "sha256": rubric.sha256},
               **client.counts.as_dict(), **totals, "tasks": per_task, "reliability": reliability}
    return {**results, "results": table, "samples": new_samples}, section


def _task_metrics(judgments: list[Judgment | None], filt: str) -> dict:
    scores = [j.scaled for j in judgments if j is not None]
    score, score_err = mean_stderr(scores)
    rate, rate_err = mean_stderr([1.0 if j else 0.0 for j in judgments])
    entry = {f"judge_score,{filt}": score, f"judge_score_stderr,{filt}": score_err if score_err is not None else "N/A",
             f"judge_parse_rate,{filt}": rate,
             f"judge_parse_rate_stderr,{filt}": rate_err if rate_err is not None else "N/A"}
    return entry


def _task_summary(judgments: list[Judgment | None], rubric: Rubric) -> dict:
    parsed = [j for j in judgments if j is not None]
    aspects = {a: round(sum(j.aspects[a] for j in parsed) / len(parsed), 4) if parsed else None
               for a in rubric.aspects}
    return {"n": len(judgments), "parsed": len(parsed), "aspect_means": aspects}


def _reliability(client: JudgeClient, rubric: Rubric, repeat: list[list[dict]], first: list[Judgment | None],
                 items: list[Item]) -> dict:
    """Self-consistency of the judge on the first items, and its rank agreement with ROUGE-L."""
    from lawbench.metrics.text import pair_scores

    figures: dict = {}
    if repeat:
        again, _, _ = judge_conversations(client, rubric, repeat, variant=1, desc="judge (repeat)")
        pairs = [(a.scaled, b.scaled) for a, b in zip(first, again, strict=False) if a is not None and b is not None]
        agree = round(sum(a == b for a, b in pairs) / len(pairs), 4) if pairs else None
        gap = round(sum(abs(a - b) for a, b in pairs) / len(pairs), 4) if pairs else None
        figures["self_consistency"] = {"n": len(pairs), "exact_agreement": agree, "mean_abs_diff": gap}
    parsed = [(j.scaled, it) for j, it in zip(first, items, strict=True) if j is not None]
    if len(parsed) >= 3:
        rouge = pair_scores([it.answer for _, it in parsed], [it.reference for _, it in parsed])
        figures["rouge_l_spearman"] = spearman([s for s, _ in parsed], [r["rougeL"] for r in rouge])
    return figures


def carried_judge(old: dict | None, new: dict | None, carried: list[str]) -> dict | None:
    """The manifest's ``judge`` after a merge: the judged tasks carried from the earlier result set keep
    their entries (each names its judge model and rubric hash), this run's tasks come from ``new``.

    >>> old = {"model": "m", "rubric": {"sha256": "aa"}, "tasks": {"t1": {"n": 2}, "t2": {"n": 3}}}
    >>> carried_judge(old, None, ["t1"])
    {'tasks': {'t1': {'n': 2, 'model': 'm', 'rubric_sha256': 'aa'}}}
    """
    old_tasks = (old or {}).get("tasks") if isinstance((old or {}).get("tasks"), dict) else {}
    rubric = (old or {}).get("rubric") if isinstance((old or {}).get("rubric"), dict) else {}
    kept = {task: {**entry, "model": entry.get("model", old.get("model")),
                   "rubric_sha256": entry.get("rubric_sha256", rubric.get("sha256"))}
            for task, entry in old_tasks.items() if task in carried and isinstance(entry, dict)}
    if not kept:
        return new
    if new is None:
        return {"tasks": kept}
    return {**new, "tasks": {**kept, **new.get("tasks", {})}}
