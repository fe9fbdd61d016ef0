"""Synthetic eval runs with one judged open-answer task, for the pairwise-judging and site tests.

``write_judge_runs(root)`` writes ``root/{base,sft,dpo}/`` (lineage base -> sft -> dpo) in the layout
``lawbench eval`` writes: a results file (with ``configs[task].metadata.lawbench_judge``) and a samples
file of ``legal_qa_demo`` whose answers carry a quality mark ``【质量N】`` (N grows with the stage on
most items), so a fake judge can prefer the better answer. All texts are written here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

DATE = "2026-01-02T03-04-05.000000"
TASK = "legal_qa_demo"
STAGES = (("base", None), ("sft", "base"), ("dpo", "sft"))
QUALITY = {"base": 1, "sft": 3, "dpo": 4}
ITEMS = 6


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def answer(stage: str, index: int) -> str:
    quality = QUALITY[stage] if index % 3 else 2  # every third item: the same quality at every stage (a tie)
    return f"回答{index}：依照刑法规定处理。【质量{quality}】"


def write_judge_runs(root: Path, rubric_of: dict[str, str] | None = None) -> Path:
    """The runs; with ``rubric_of`` (stage -> rubric hash) each run is also judged pointwise (``judge_score``)."""
    for stage, parent in STAGES:
        folder = root / stage
        folder.mkdir(parents=True, exist_ok=True)
        lines, rouge = [], []
        for i in range(ITEMS):
            doc = {"prompt": f"问题{i}：盗窃罪如何处罚？", "reference": "处三年以下有期徒刑、拘役或者管制。"}
            text = answer(stage, i)
            value = 0.1 * QUALITY[stage] if i % 3 else 0.2
            rouge.append(value)
            lines.append(json.dumps({
                "doc_id": i, "doc": doc, "target": doc["reference"],
                "arguments": {"gen_args_0": {"arg_0": doc["prompt"], "arg_1": {"until": []}}},
                "resps": [[text]], "filtered_resps": [text], "filter": "none", "metrics": ["rougeL"],
                "doc_hash": _sha(json.dumps(doc, ensure_ascii=False)), "prompt_hash": _sha(doc["prompt"]),
                "target_hash": _sha(doc["reference"]), "rougeL": value,
                **({"judge_score": value, "metrics": ["rougeL", "judge_score"]} if rubric_of else {})},
                ensure_ascii=False))
        (folder / f"samples_{TASK}_{DATE}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        results = {
            "results": {TASK: {"alias": TASK, "rougeL,none": sum(rouge) / len(rouge), "rougeL_stderr,none": 0.01}},
            "configs": {TASK: {"task": TASK, "output_type": "generate_until",
                               "metadata": {"version": 1.0, "lawbench_judge": True}}},
            "versions": {TASK: 1.0}, "n-shot": {TASK: 0}, "higher_is_better": {TASK: {"rougeL": True}},
            "n-samples": {TASK: {"original": ITEMS, "effective": ITEMS}},
            "lawbench": {"stage": stage, "parent": parent, "run_name": stage},
        }
        if rubric_of:
            results["results"][TASK]["judge_score,none"] = sum(rouge) / len(rouge)
            results["lawbench"]["judge"] = {"model": "judge", "rubric": {"name": "disc", "sha256": rubric_of[stage]},
                                            "tasks": {TASK: {"n": ITEMS, "parsed": ITEMS}}}
        (folder / f"results_{DATE}.json").write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    return root
