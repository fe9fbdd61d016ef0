"""Evaluation cost per task family: `lawbench eval` against a plain transformers loop on the same prompts.

    python bench/family_speed.py [--data-dir ../shared/data] [--families lawshift,lawbench_oc_3_4,...]
                                 [--max-new-tokens 64] [--batch 4]

For every task family (``lawshift``, ``legal_mmlu``, ``legal_mmlu_gen``, each ``lawbench_oc`` task,
``legal_qa``), on the tiny model (``lawbench model init``'s default size), each way runs as its own
process, timed from start to exit:

1. ``lawbench eval --batch-size N`` (its start-up, lm-eval, scoring, statistics and writing included;
   request cache off); its manifest gives the generation time and every other phase;
2. ``bench/plain_loop.py`` on the very requests lawbench sent (read back from its samples), one at a
   time and in length-sorted batches of N.

First, one ``lawbench eval`` over LawBench 3-4 + 3-8 (114 items each): its time outside generation
(``--no-headline`` skips it). Then per family: lawbench / best plain loop (goal <= 1.25x) and
lawbench's time outside generation (whole process minus the manifest's ``generation_s``) against
20 s + 25% of generation. The item
limits keep the whole run to minutes on a small machine while the headline tasks (LawBench 3-4 and
3-8) and the grouped families get at least 100 prompts. Figures go to ``bench/results/family_speed.json``
(written after every family, so a partial run keeps what it measured).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "family_speed.json"
sys.path.insert(0, str(HERE))
from plain_loop import requests_from_samples, run_timed  # noqa: E402 (bench scripts are run as files)

OC_TASKS = ("1_1", "1_2", "2_2", "2_3", "2_4", "2_5", "2_6", "2_7", "2_8", "2_9", "2_10", "3_1", "3_2", "3_3",
            "3_4", "3_5", "3_6", "3_7", "3_8")
HEADLINE = {"lawbench_oc_3_4": 114, "lawbench_oc_3_8": 104}  # 3-4: the issue's 114 held-out cases' count
# family -> (tasks, --limit per subtask): >= 100 prompts where a family has many subtasks or is a headline
FAMILIES: dict[str, tuple[str, int]] = {
    "lawshift": ("lawshift", 2),  # 2 per scenario side present in the data
    "legal_mmlu": ("legal_mmlu", 5),  # 5 items per subtask, one log-likelihood per option
    "legal_mmlu_gen": ("legal_mmlu_gen", 5),
    **{f"lawbench_oc_{t}": (f"lawbench_oc_{t}", HEADLINE.get(f"lawbench_oc_{t}", 12)) for t in OC_TASKS},
    "legal_qa": ("legal_qa", 34),  # 3 subtasks -> 102 prompts
}
# the headline tasks first, then the grouped families, then the other LawBench tasks
ORDER = (*HEADLINE, "lawshift", "legal_mmlu", "legal_mmlu_gen", "legal_qa", *(f for f in FAMILIES if f not in HEADLINE
                                                                            and f.startswith("lawbench_oc")))
OVERHEAD_BUDGET = (20.0, 0.25)  # outside generation: at most 20 s + 25% of generation


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _check(lawbench: float, plain: float, outside: float, generation: float) -> dict:
    budget = OVERHEAD_BUDGET[0] + OVERHEAD_BUDGET[1] * generation
    return {"lawbench_vs_best_plain": round(lawbench / plain, 3), "ratio_goal_met": lawbench / plain <= 1.25,
            "outside_generation_s": round(outside, 2), "outside_budget_s": round(budget, 2),
            "outside_goal_met": outside <= budget}


def measure(name: str, tasks: str, limit: int, *, model: str, data_dir: str, work: Path, max_new: int, batch: int,
            env: dict, threads: int) -> dict:
    run_dir = work / "runs" / name
    load_before = _loadavg()
    lawbench = run_timed([sys.executable, "-m", "lawbench", "eval", "--model", model, "--tasks", tasks, "--data-dir",
                          data_dir, "--limit", str(limit), "--gen-kwargs", f"max_gen_toks={max_new}", "--batch-size",
                          str(batch), "--no-cache", "--output-dir", str(work / "runs"), "--run-name", name], env)
    manifest = json.loads(next(run_dir.glob("results_*.json")).read_text(encoding="utf-8"))["lawbench"]
    spec = requests_from_samples(run_dir)
    spec_path = work / f"{name}.requests.json"
    spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    plain = {size: run_timed([sys.executable, str(HERE / "plain_loop.py"), model, str(spec_path), str(size),
                              str(work / f"{name}.plain{size}.json"), str(threads)], env)
             for size in (1, batch)}
    ways = {f"lawbench eval (batch {batch})": lawbench, "transformers, one at a time": plain[1],
            f"transformers, length-sorted batches of {batch}": plain[batch]}
    generation, generation_cpu = manifest["timings"]["generation_s"], manifest["cpu_timings"]["generation_s"]
    return {
        "tasks": tasks, "limit": limit, "generate_prompts": len(spec["generate"]),
        "loglikelihood_requests": len(spec["loglikelihood"]),
        "wall_s": {way: round(w, 2) for way, (w, _) in ways.items()},
        "cpu_s": {way: round(c, 2) for way, (_, c) in ways.items()},
        "wall": _check(lawbench[0], min(w for w, _ in plain.values()), lawbench[0] - generation, generation),
        "cpu": _check(lawbench[1], min(c for _, c in plain.values()), lawbench[1] - generation_cpu, generation_cpu),
        "manifest_timings": manifest["timings"], "manifest_cpu_timings": manifest["cpu_timings"],
        "loadavg_before": load_before, "loadavg_after": _loadavg(),
    }


def markdown_table(result: dict) -> str:
    """The per-family table of docs/benchmarks.md, from the JSON this script writes."""
    lines = ["| family | requests | lawbench s (wall / CPU) | best plain loop s (wall / CPU) | ratio (wall / CPU) "
             "| generation s (wall / CPU) | outside generation s, CPU (budget) |",
             "|---|---|---|---|---|---|---|"]
    for name, row in result["families"].items():
        lawbench, *plain = zip(row["wall_s"].values(), row["cpu_s"].values())
        best_wall, best_cpu = min(w for w, _ in plain), min(c for _, c in plain)
        cpu = row["cpu"]
        lines.append(
            f"| {name} | {row['generate_prompts'] or row['loglikelihood_requests']} | {lawbench[0]:.1f} / "
            f"{lawbench[1]:.1f} | {best_wall:.1f} / {best_cpu:.1f} | {row['wall']['lawbench_vs_best_plain']:.2f}x / "
            f"{cpu['lawbench_vs_best_plain']:.2f}x | {row['manifest_timings']['generation_s']:.1f} / "
            f"{row['manifest_cpu_timings']['generation_s']:.1f} | {cpu['outside_generation_s']:.1f} "
            f"({cpu['outside_budget_s']:.1f}) {'ok' if cpu['outside_goal_met'] else 'over'} |")
    return "\n".join(lines)


def measure_outside(tasks: str, limit: int, *, model: str, data_dir: str, work: Path, max_new: int, batch: int,
                    env: dict) -> dict:
    """One `lawbench eval` over several tasks: its time outside generation against the budget (no plain loop)."""
    name = "headline"
    wall, cpu = run_timed([sys.executable, "-m", "lawbench", "eval", "--model", model, "--tasks", tasks, "--data-dir",
                           data_dir, "--limit", str(limit), "--gen-kwargs", f"max_gen_toks={max_new}",
                           "--batch-size", str(batch), "--no-cache", "--output-dir", str(work / "runs"),
                           "--run-name", name], env)
    manifest = json.loads(next((work / "runs" / name).glob("results_*.json")).read_text(encoding="utf-8"))["lawbench"]
    generation, generation_cpu = manifest["timings"]["generation_s"], manifest["cpu_timings"]["generation_s"]
    budget = OVERHEAD_BUDGET[0] + OVERHEAD_BUDGET[1] * generation
    budget_cpu = OVERHEAD_BUDGET[0] + OVERHEAD_BUDGET[1] * generation_cpu
    return {"tasks": tasks, "limit": limit, "requests": manifest["requests"],
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "outside_generation_wall_s": round(wall - generation, 2), "budget_wall_s": round(budget, 2),
            "outside_generation_cpu_s": round(cpu - generation_cpu, 2), "budget_cpu_s": round(budget_cpu, 2),
            "goal_met_cpu": cpu - generation_cpu <= budget_cpu, "goal_met_wall": wall - generation <= budget,
            "manifest_timings": manifest["timings"], "manifest_cpu_timings": manifest["cpu_timings"],
            "loadavg_after": _loadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model folder (default: a fresh `lawbench model init`)")
    parser.add_argument("--data-dir", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--families", default=",".join(ORDER), help="comma-separated families, measured in order")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads of every process (default 1: on a machine loaded by others, more "
                             "threads only spin and inflate CPU time; 0 keeps torch's default)")
    parser.add_argument("--keep", action="store_true",
                        help="keep what an earlier results file measured and this run does not (runs in parts)")
    parser.add_argument("--no-headline", dest="headline", action="store_false",
                        help="skip the one evaluation of LawBench 3-4 + 3-8 (time outside generation)")
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    if args.threads:  # lawbench reads LAWBENCH_CPU_THREADS, the plain loop its last argument
        env.update(LAWBENCH_CPU_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    work = Path(tempfile.mkdtemp(prefix="family-speed-"))
    model = args.model or str(work / "model")
    if not args.model:
        subprocess.run([sys.executable, "-m", "lawbench", "model", "init", "--out", model], check=True,
                       capture_output=True, env=env)
    result: dict = {"model": model if args.model else "lawbench model init (default size)",
                    "max_new_tokens": args.max_new_tokens, "batch": args.batch, "torch_threads": args.threads,
                    "cpu_count": os.cpu_count(),
                    "goals": {"lawbench_vs_best_plain": 1.25, "outside_generation": "20 s + 25% of generation"},
                    "note": "wall: seconds from start to exit; cpu: CPU seconds of the process (all threads), "
                            "the comparable figure on a machine loaded by others. The manifest gives lawbench's "
                            "generation time in both.",
                    "families": {}}
    if args.keep and OUT.is_file():  # an earlier part: its other families (and headline) stay, each with its load
        earlier = json.loads(OUT.read_text(encoding="utf-8"))
        result["families"] = {k: v for k, v in earlier.get("families", {}).items()
                              if k not in args.families.split(",")}
        if not args.headline and "headline_3_4_plus_3_8" in earlier:
            result["headline_3_4_plus_3_8"] = earlier["headline_3_4_plus_3_8"]
    started = time.perf_counter()
    if args.headline:  # the second goal: LawBench 3-4 + 3-8 in one evaluation
        result["headline_3_4_plus_3_8"] = measure_outside(
            "lawbench_oc_3_4,lawbench_oc_3_8", HEADLINE["lawbench_oc_3_4"], model=model, data_dir=args.data_dir,
            work=work, max_new=args.max_new_tokens, batch=args.batch, env=env)
        print("3-4 + 3-8:", result["headline_3_4_plus_3_8"], flush=True)
    for name in filter(None, args.families.split(",")):
        tasks, limit = FAMILIES[name]
        row = measure(name, tasks, limit, model=model, data_dir=args.data_dir, work=work, max_new=args.max_new_tokens,
                      batch=args.batch, env=env, threads=args.threads)
        result["families"][name] = row
        wall, cpu = row["wall"], row["cpu"]
        print(f"{name:<18} {row['generate_prompts'] or row['loglikelihood_requests']:>4} req  "
              f"wall: {wall['lawbench_vs_best_plain']:.2f}x, outside gen {wall['outside_generation_s']:.1f}"
              f"/{wall['outside_budget_s']:.1f} s;  cpu: {cpu['lawbench_vs_best_plain']:.2f}x, outside gen "
              f"{cpu['outside_generation_s']:.1f}/{cpu['outside_budget_s']:.1f} s  (load {row['loadavg_before'][0]})",
              flush=True)
        result["wall_s"] = round(time.perf_counter() - started, 1)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown_table(result))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
