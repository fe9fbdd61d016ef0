"""`lawbench demo` wall time per stage, from a fresh folder (whole loop on this CPU).

    python bench/demo_timing.py [--out DIR]    # DIR: keep the demo's folder (default: a temporary one)

Writes ``bench/results/demo_timing.json`` (seconds per stage, total, and the RL reward curves).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results" / "demo_timing.json"


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="demo output folder (must not exist yet: the timing is from scratch)")
    args = parser.parse_args()
    if args.out and args.out.exists():
        sys.exit(f"error: {args.out} exists; pass a new folder so that every stage runs from scratch")
    work = args.out or Path(tempfile.mkdtemp(prefix="lawbench-demo-")) / "demo"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lawbench", "demo", "--out", str(work)], check=True, env=env)
    total = time.perf_counter() - start
    timings = json.loads((work / "demo_timings.json").read_text(encoding="utf-8"))
    curves = {}
    for stage in ("ppo", "grpo"):
        history = json.loads((work / "checkpoints" / stage / "trainer_state.json").read_text())["log_history"]
        curves[stage] = [round(h["reward"], 3) for h in history if "reward" in h]
    result = {"total_seconds": round(total, 1), "seconds_per_step": timings["seconds"], "rl_rewards": curves,
              "cpu_count": os.cpu_count()}
    for step, seconds in timings["seconds"].items():
        print(f"  {step:12s} {seconds:7.1f} s")
    print(f"  {'total':12s} {total:7.1f} s (whole process)")
    for stage, values in curves.items():
        print(f"  {stage} reward per logging step: {values}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
