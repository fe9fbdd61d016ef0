"""Synthetic eval runs for the leaderboard tests, in exactly the layout ``lawbench eval`` writes.

``write_fixture_runs(root)`` lays out a pipeline-like folder::

    root/runs/{base,pt,sft,dpo,kto}/results_<time>.json + samples_<task>_<time>.jsonl
    root/checkpoints/{pt,sft,dpo,kto}/trainer_state.json

Lineage: base -> pt -> sft -> {dpo, kto} (``stages=DEMO_STAGES``: the demo's, base -> pt -> sft -> rs-sft ->
{dpo, kto, ppo, grpo}). Tasks: LawShift subtasks of three scenarios (V, NV, TU)
with their groups, and a small multiple-choice group ``mc_demo`` (two loglikelihood tasks with
``acc``; aggregated as a plain mean of its tasks). Everything is written by this module: the case
texts are invented, answers are chosen by a hash so every build is the same, and per-item metrics
come from lawbench's own scorer. In kto, ``mc_demo_cases`` uses a different prompt, so the
comparability guard must hide its change. Some outputs and one case text carry XSS payloads.

Run ``python -m tests.support.leaderboard_runs OUT`` to write them somewhere by hand.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

from lawbench.metrics import score_case

DATE = "2026-01-02T03-04-05.000000"
STAGES = (("base", None), ("pt", "base"), ("sft", "pt"), ("dpo", "sft"), ("kto", "sft"))
# The demo's eight evaluated stages and lineage (the browser tests: a wide overview).
DEMO_STAGES = (("base", None), ("pt", "base"), ("sft", "pt"), ("rs-sft", "sft"), ("dpo", "rs-sft"),
               ("kto", "rs-sft"), ("ppo", "rs-sft"), ("grpo", "rs-sft"))
# How often each stage answers right: (original side, poisoned side, multiple choice), in percent.
SKILL = {"base": (20, 10, 30), "pt": (35, 20, 45), "sft": (75, 35, 80), "dpo": (80, 70, 85), "kto": (70, 25, 60),
         "rs-sft": (78, 40, 82), "ppo": (74, 55, 78), "grpo": (82, 62, 76)}
SCENARIOS = (("subject_explicit_extend", "T1.1", "V"), ("object_explicit_reduce", "T3.5", "NV"),
             ("term_up", "T6.1", "TU"))
CASES_PER_SIDE = 8
MC_TASKS = (("mc_demo_statutes", 12), ("mc_demo_cases", 8))

XSS_IMG = '<img src=x onerror="window.__xss_img=1;alert(1)">'
XSS_SCRIPT = "<script>window.__xss_script=1;alert(2)</script>"
XSS_CLOSE = "</script><script>window.__xss_close=1</script>"
PAYLOADS = (XSS_IMG, XSS_SCRIPT, XSS_CLOSE)

CHARGE = "盗窃"
FACT = "被告人某甲于某日在某市某商场内趁店员不备，窃取柜台内手机一部，价值人民币四千元。（案例{i}）"
SYSTEM = "<|im_start|>system\n请根据案件事实和相关法条作出判决，用<answer>罪名 | 刑期</answer>回答。<|im_end|>\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chance(*parts: object) -> int:
    """A stable number in [0, 100) for a (stage, task, item) triple."""
    return int(sha("|".join(map(str, parts)))[:8], 16) % 100


def lawshift_answer(stage: str, scenario: str, shift_type: str, side: str, idx: int, prison_time: int) -> str:
    right = chance(stage, scenario, side, idx) < SKILL[stage][0 if side == "original" else 1]
    old_law = f"<answer>{CHARGE} | {prison_time}</answer>"
    if right:
        if side == "poisoned" and shift_type == "NV":
            return "<think>新法条不再处罚该行为。</think><answer>不违规</answer>"
        if side == "poisoned" and shift_type == "TU":
            return f"<answer>{CHARGE} | 150</answer>"
        return old_law
    if idx == 0 and stage in ("base", "sft"):
        return PAYLOADS[(len(stage) + len(scenario)) % 3] + " 无法判断"
    if side == "poisoned" and shift_type in ("NV", "TU") and idx % 2 == 0:
        return old_law  # follows the statute as it was before the change
    return "被告人某甲系累犯，" if idx % 3 else "<answer>诈骗 | 3</answer>"


def _doc_hash(doc: dict) -> str:
    return sha(json.dumps(doc, indent=2, ensure_ascii=False))  # as lm-eval hashes docs


def lawshift_samples(stage: str, scenario: str, code: str, shift_type: str, side: str,
                     cases: int = CASES_PER_SIDE, think_chars: int = 0) -> list[dict]:
    prison_time = 60 if shift_type == "TU" else 7
    out = []
    for idx in range(cases):
        fact = FACT.format(i=idx) + (XSS_IMG if (scenario, side, idx) == ("term_up", "poisoned", 1) else "")
        prompt_text = f"【案件事实】\n{fact}\n\n【相关法条】\n（{side}）\n\n请依据上述法条作出判决预测。"
        target = "不违规" if (side, shift_type) == ("poisoned", "NV") else (
            f"{CHARGE} | >=120" if (side, shift_type) == ("poisoned", "TU") else f"{CHARGE} | {prison_time}")
        doc = {"idx": idx, "scenario": scenario, "scenario_code": code, "shift_type": shift_type, "side": side,
               "fact": fact, "relevant_articles": ["264-0-0"], "charge": CHARGE, "prison_time": prison_time,
               "prompt": prompt_text, "target": target}
        prompt = SYSTEM + f"<|im_start|>user\n{prompt_text}<|im_end|>\n<|im_start|>assistant\n"
        answer = lawshift_answer(stage, scenario, shift_type, side, idx, prison_time)
        if think_chars:  # long reasoning before the answer, as real models write (benchmarks only)
            answer = "<think>" + ("依据法条分析案情。" * (think_chars // 9 + 1))[:think_chars] + "</think>" + answer
        metrics = score_case(answer, charge=CHARGE, prison_time=prison_time, side=side, shift_type=shift_type)
        out.append({
            "doc_id": idx, "doc": doc, "target": target,
            "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {"until": ["</answer>"], "max_gen_toks": 64}}},
            "resps": [[answer]], "filtered_resps": [answer], "filter": "none", "metrics": list(metrics),
            "doc_hash": _doc_hash(doc), "prompt_hash": sha(prompt), "target_hash": sha(target), **metrics,
        })
    return out


def mc_samples(stage: str, task: str, n: int) -> list[dict]:
    letters = ("A", "B", "C", "D")
    out = []
    for i in range(n):
        gold = i % 4
        doc = {"question": f"依照刑法，下列哪一项构成犯罪？（第{i}题）", "choices": [f"选项{c}" for c in letters],
               "answer": gold}
        lead = "Answer carefully.\n" if (stage, task) == ("kto", "mc_demo_cases") else ""
        context = f"{lead}{doc['question']}\nA. 选项A\nB. 选项B\nC. 选项C\nD. 选项D\n答案："
        right = chance(stage, task, i) < SKILL[stage][2]
        picked = gold if right else (gold + 1 + i % 3) % 4
        lls = [-2.0 - 0.1 * k for k in range(4)]
        lls[picked] = -0.5
        continuations = [f" {c}" for c in letters]
        if i == 1:  # a dataset-side payload: shown as text in the candidate list
            continuations[3] = f" D {XSS_SCRIPT}"
        metrics = {"acc": float(picked == gold), "acc_norm": float(picked == gold)}
        out.append({
            "doc_id": i, "doc": doc, "target": str(gold),
            "arguments": {f"gen_args_{k}": {"arg_0": context, "arg_1": continuations[k]} for k in range(4)},
            "resps": [[[str(ll), "False"]] for ll in lls], "filtered_resps": [[str(ll), "False"] for ll in lls],
            "filter": "none", "metrics": list(metrics),
            "doc_hash": _doc_hash(doc), "prompt_hash": sha(context), "target_hash": sha(str(gold)), **metrics,
        })
    return out


def _mean_stderr(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return mean, math.sqrt(var / n)


def _task_entry(name: str, samples: list[dict]) -> dict:
    entry = {"name": name, "alias": name, "sample_len": len(samples)}
    for metric in samples[0]["metrics"]:
        mean, stderr = _mean_stderr([s[metric] for s in samples])
        entry[f"{metric},none"], entry[f"{metric}_stderr,none"] = mean, stderr
    return entry


def _group_entry(name: str, members: list[dict], weight_by_size: bool) -> dict:
    entry = {"name": name, "alias": name, "sample_len": sum(m["sample_len"] for m in members)}
    metrics = [k for k in members[0] if k.endswith(",none") and "_stderr" not in k]
    for key in metrics:
        weights = [m["sample_len"] if weight_by_size else 1 for m in members]
        entry[key] = sum(w * m[key] for w, m in zip(weights, members)) / sum(weights)
        stderr_key = key.replace(",none", "_stderr,none")
        entry[stderr_key] = math.sqrt(sum((w * m[stderr_key]) ** 2 for w, m in zip(weights, members))) / sum(weights)
    return entry


def run_results(
    stage: str, parent: str | None, samples: dict[str, list[dict]], root: Path, cases: int = CASES_PER_SIDE
) -> dict:
    from lawbench.postprocess import shift_summary, task_hashes, with_shift_gaps

    table = {task: _task_entry(task, items) for task, items in samples.items()}
    sides = {side: [t for t in samples if t.startswith("lawshift_") and t.endswith(side)]
             for side in ("original", "poisoned")}
    group_subtasks = {"lawshift": ["lawshift_original", "lawshift_poisoned"],
                      "lawshift_original": sides["original"], "lawshift_poisoned": sides["poisoned"],
                      "mc_demo": [t for t, _ in MC_TASKS]}
    for side in ("original", "poisoned"):
        table[f"lawshift_{side}"] = _group_entry(f"lawshift_{side}", [table[t] for t in sides[side]], True)
    table["lawshift"] = _group_entry("lawshift", [table[t] for t in sides["original"] + sides["poisoned"]], True)
    table["mc_demo"] = _group_entry("mc_demo", [table[t] for t, _ in MC_TASKS], False)
    metric_lists = {task: [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in items[0]["metrics"]]
                    for task, items in samples.items()}
    results = {
        "results": table,
        "groups": {g: table[g] for g in group_subtasks},
        "group_subtasks": group_subtasks,
        "configs": {task: {"task": task, "metric_list": metric_lists[task],
                           "output_type": "loglikelihood" if task.startswith("mc_") else "generate_until"}
                    for task in samples},
        "versions": {**{task: 1.0 for task in samples}, **{g: "1.0" for g in group_subtasks}},
        "higher_is_better": {task: {m["metric"]: True for m in metric_lists[task]} for task in samples},
        "n-samples": {task: {"original": len(items), "effective": len(items)} for task, items in samples.items()},
        "config": {"model": f"checkpoints/{stage}", "limit": cases, "bootstrap_iters": 1000},
        "lm_eval_version": "0.4.13",
        "samples": samples,
    }
    results = with_shift_gaps(results)
    shift = shift_summary(results)
    results["task_hashes"] = task_hashes(results.pop("samples"))
    model_dir = root / "checkpoints" / stage if parent else root / "models" / "base"
    results["lawbench"] = {
        "version": "0.1.0", "stage": stage, "parent": parent, "run_name": stage,
        "model": {"argument": str(model_dir), "kind": "checkpoint", "path": str(model_dir), "adapter": None,
                  "backend": "hf", "device": "cpu", "dtype": "float32", "fingerprint": sha(f"weights of {stage}")},
        "chat_template": {"applied": True, "sha256": sha("chatml")},
        "tasks": {name: {"version": version, "hash": results["task_hashes"].get(name)}
                  for name, version in sorted(results["versions"].items())},
        "data_files": {"lawshift/term_up/original.json": sha("fixture data")},
        "versions": {"lawbench": "0.1.0", "lm_eval": "0.4.13", "python": "3.11"},
        "seeds": {"random": 1234, "numpy": 1234, "torch": 1234, "fewshot": 1234},
        "gen_kwargs": "max_gen_toks=64", "limit": cases, "num_fewshot": None,
        "requests": {"total": 68, "computed": 68, "from_cache": 0},
        "timings": {"data_load_s": 0.5, "model_load_s": 1.25, "generation_s": 12.0, "scoring_s": 0.25,
                    "total_s": 14.0},
        "shift": shift, "created": "2026-01-02T03:04:05+00:00",
    }
    return results


def trainer_state(stage: str) -> dict:
    history = []
    for step in range(1, 21):
        entry = {"step": step, "epoch": step / 20, "learning_rate": 1e-4 * (1 - step / 21),
                 "loss": round(2.5 / math.sqrt(step), 4)}
        if stage == "pt":
            entry.update({"loss/statutes": round(2.8 / math.sqrt(step), 4),
                          "loss/judgments": round(2.2 / math.sqrt(step), 4)})
        if stage in ("dpo", "kto"):
            entry.update({"rewards/chosen": round(0.05 * step, 4), "rewards/margins": round(0.08 * step, 4),
                          "kl": round(0.01 * math.log1p(step), 5)})
        history.append(entry)
        if step % 10 == 0:  # scores while training (lawbench recipe --eval_steps 10)
            history.append({"step": step, "epoch": step / 20, "lawbench/mc_demo/acc": round(0.3 + 0.01 * step, 4),
                            "lawbench/mc_demo_cases/acc": 0.5, "lawbench/eval_runtime": 1.5})
    return {"global_step": 20, "log_history": history + [{"step": 20, "train_runtime": 12.5, "train_loss": 1.0}]}


def write_fixture_runs(root: str | Path, cases_per_side: int = CASES_PER_SIDE, think_chars: int = 0,
                       scenarios: tuple = SCENARIOS, stages: tuple = STAGES) -> Path:
    """Write the fixture runs under ``root``; returns ``root/runs``. The keyword arguments scale them up
    for benchmarks (the tests use the defaults) or pick the stages (:data:`DEMO_STAGES`: eight)."""
    root = Path(root)
    for stage, parent in stages:
        samples = {}
        for scenario, code, shift_type in scenarios:
            for side in ("original", "poisoned"):
                samples[f"lawshift_{scenario}_{side}"] = lawshift_samples(stage, scenario, code, shift_type, side,
                                                                          cases_per_side, think_chars)
        for task, n in MC_TASKS:
            samples[task] = mc_samples(stage, task, n)
        run_dir = root / "runs" / stage
        run_dir.mkdir(parents=True, exist_ok=True)
        for task, items in samples.items():
            lines = [json.dumps(s, ensure_ascii=False) for s in items]
            (run_dir / f"samples_{task}_{DATE}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        results = run_results(stage, parent, samples, root, cases_per_side)
        (run_dir / f"results_{DATE}.json").write_text(json.dumps(results, ensure_ascii=False, indent=2),
                                                      encoding="utf-8")
        if parent:
            checkpoint = root / "checkpoints" / stage
            checkpoint.mkdir(parents=True, exist_ok=True)
            (checkpoint / "trainer_state.json").write_text(json.dumps(trainer_state(stage), indent=2),
                                                           encoding="utf-8")
    return root / "runs"


if __name__ == "__main__":
    print(write_fixture_runs(sys.argv[1] if len(sys.argv) > 1 else "leaderboard-fixture"))
