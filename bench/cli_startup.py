"""CLI start-up: `lawbench --help` against a bare Python start, measured in one run.

    python bench/cli_startup.py [--runs 15]

Writes bench/results/cli_startup.json (with the load average). The contract is a median well under one
second for every command but `--help-all` (which imports TRL, as `recipe --help` did before); the bare
interpreter start is printed beside it so the figure can be read on any machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "results" / "cli_startup.json"


def timed(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "lawbench --help": [sys.executable, "-m", "lawbench", "--help"],
        "lawbench eval --help": [sys.executable, "-m", "lawbench", "eval", "--help"],
        "lawbench tasks --path": [sys.executable, "-m", "lawbench", "tasks", "--path"],
        "lawbench recipe sft --help": [sys.executable, "-m", "lawbench", "recipe", "sft", "--help"],
        # every TRL flag: imports TRL and transformers (what --help printed before issue 19), so fewer runs
        "lawbench recipe sft --help-all": [sys.executable, "-m", "lawbench", "recipe", "sft", "--help-all"],
    }
    results: dict = {"loadavg": os.getloadavg()}
    for name, cmd in cases.items():
        runs = min(args.runs, 3) if name.endswith("--help-all") else args.runs
        times = timed(cmd, runs)
        results[name] = {"median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
                         "max_s": round(max(times), 4), "runs": runs}
        print(f"{name:32s} median {results[name]['median_s'] * 1000:7.1f} ms   "
              f"min {results[name]['min_s'] * 1000:7.1f} ms")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
