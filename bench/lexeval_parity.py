"""LexEval parity on every published output file: lawbench's score beside LexEval's, in one run.

    python bench/lexeval_parity.py [--data ../shared/data]

Scores each ``<data>/lexeval/predictions/zero_shot/<Model>/<Model>_<i_j>.jsonl`` with
``lawbench.metrics.lexeval.score_file`` and compares every number of ``official_scores.json``
(Accuracy and F1 for multiple choice, Rouge_L for 5_x) with it. Prints one line per number and the
largest difference; writes bench/results/lexeval_parity.json (with the load average: the machine is
shared). Exits non-zero when a difference exceeds 1e-9.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

OUT = Path(__file__).parent / "results" / "lexeval_parity.json"
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TOLERANCE = 1e-9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    from lawbench.metrics.lexeval import score_file

    root = args.data / "lexeval" / "predictions"
    official = json.loads((root / "official_scores.json").read_text(encoding="utf-8"))
    scored: dict[tuple[str, str], dict] = {}
    rows = []
    start = time.perf_counter()
    for row in official:
        key = (row["model"], row["task"])
        if key not in scored:
            began = time.perf_counter()
            path = root / "zero_shot" / row["model"] / f"{row['model']}_{row['task']}.jsonl"
            scored[key] = score_file(row["task"], path)
            scored[key]["seconds"] = round(time.perf_counter() - began, 3)
        result = scored[key]
        ours = result["f1"] if row["metric"] == "F1" else result["score"]
        delta = abs(ours - row["score"])
        rows.append({**row, "lawbench": ours, "abs_diff": delta, "n_lawbench": result["n"],
                     "zeroed_recursion": result.get("zeroed_recursion")})
        print(f"{row['model']:12s} {row['task']:4s} {row['metric']:8s} LexEval {row['score']:.12f}  "
              f"lawbench {ours:.12f}  |Δ| {delta:.1e}  n {result['n']}")
    seconds = time.perf_counter() - start
    worst = max(r["abs_diff"] for r in rows)
    exact_n = all(r["n"] == r["n_lawbench"] for r in rows)
    print(f"{len(rows)} numbers over {len(scored)} files in {seconds:.1f} s: largest |Δ| {worst:.1e}, "
          f"n equal everywhere: {exact_n}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"numbers": len(rows), "files": len(scored), "max_abs_diff": worst,
                               "n_equal": exact_n, "seconds": round(seconds, 2),
                               "seconds_per_file": {f"{m}/{t}": r["seconds"] for (m, t), r in scored.items()},
                               "loadavg": os.getloadavg(), "rows": rows}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0 if worst <= TOLERANCE and exact_n else 1


if __name__ == "__main__":
    raise SystemExit(main())
