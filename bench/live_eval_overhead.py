"""Cost of scoring while training (``--eval_tasks --eval_steps``): the same SFT run with and without it.

    python bench/live_eval_overhead.py [--steps 12] [--eval-steps 4] [--limit 2]

Both runs happen in this one process, on the tiny model of ``lawbench model init`` and the demo's sample
data (CPU): the run without live evaluation first, then the same run (same seed, data and flags) that also
scores two LawShift subtasks every ``--eval-steps`` steps and at the end. Prints a side-by-side table and
writes ``bench/results/live_eval_overhead.json`` (wall times, the logged evaluation seconds, and whether the
training losses of the two runs are identical: evaluation must not change the training).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results" / "live_eval_overhead.json"
TASKS = "lawshift_term_up_original,lawshift_term_up_poisoned"


def train(model: Path, data: Path, out: Path, steps: int, live: list[str]) -> tuple[float, list[dict]]:
    from lawbench.recipes import runner

    args = ["--model", str(model), "--dataset", str(data / "train" / "cases.json"), "--articles",
            str(data / "train" / "articles.json"), "--output-dir", str(out), "--max_steps", str(steps),
            "--per_device_train_batch_size", "8", "--logging_steps", "1", "--report_to", "none",
            "--save_strategy", "no", "--learning_rate", "3e-3", "--seed", "0", "--gradient_checkpointing", "false",
            *live]
    start = time.perf_counter()
    runner.main("sft", args)
    seconds = time.perf_counter() - start
    return seconds, json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))["log_history"]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12, help="optimizer steps of each run")
    parser.add_argument("--eval-steps", type=int, default=4, help="live evaluation every N steps (and at the end)")
    parser.add_argument("--limit", type=int, default=2, help="items per subtask at each live evaluation")
    args = parser.parse_args()
    os.environ.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    from lawbench.demo.data import write_demo_data
    from lawbench.tiny.model import init_tiny_model

    work = Path(tempfile.mkdtemp(prefix="lawbench-live-"))
    model, data = init_tiny_model(work / "tiny"), write_demo_data(work / "data")
    live = ["--eval_tasks", TASKS, "--eval_steps", str(args.eval_steps), "--eval_limit", str(args.limit),
            "--eval_data_dir", str(data / "data"), "--eval_gen_kwargs", "max_gen_toks=24"]
    plain_s, plain = train(model, data, work / "plain", args.steps, [])
    live_s, scored = train(model, data, work / "live", args.steps, live)
    evals = [h for h in scored if "lawbench/eval_runtime" in h]
    eval_s = sum(h["lawbench/eval_runtime"] for h in evals)
    same = [h["loss"] for h in plain if "loss" in h] == [h["loss"] for h in scored if "loss" in h]
    result = {
        "steps": args.steps, "eval_steps": args.eval_steps, "limit_per_subtask": args.limit, "tasks": TASKS,
        "max_gen_toks": 24, "evaluations": len(evals), "eval_steps_logged": [h["step"] for h in evals],
        "seconds_without": round(plain_s, 2), "seconds_with": round(live_s, 2),
        "logged_eval_seconds": round(eval_s, 2), "overhead_seconds": round(live_s - plain_s, 2),
        "overhead_percent": round(100 * (live_s - plain_s) / plain_s, 1),
        "seconds_per_evaluation": round(eval_s / max(len(evals), 1), 2), "identical_training_losses": same,
        "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
    }
    print(f"\n  {'':34s} {'without':>10s} {'with live eval':>15s}")
    print(f"  {'wall time (s)':34s} {plain_s:10.1f} {live_s:15.1f}")
    print(f"  {'evaluations (steps)':34s} {'-':>10s} {len(evals):>6d} {str(result['eval_steps_logged']):>8s}")
    print(f"  {'logged evaluation time (s)':34s} {'-':>10s} {eval_s:15.1f}")
    print(f"  {'overhead':34s} {'':>10s} {result['overhead_seconds']:+9.1f} s ({result['overhead_percent']:+.0f}%)")
    print(f"  {'training losses identical':34s} {'':>10s} {str(same):>15s}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
