"""LawBench 2-1 (ChERRANT F0.5): lawbench's scorer on every published 2-1 file, with parity, in one run.

    python bench/cherrant_speed.py [--data ../shared/data]

For each ``<data>/lawbench_oc/predictions/zero_shot/<model>/2-1.json``: seconds to score it (wall and
CPU, caches emptied before each file, numba's one-off load timed apart), lawbench's F0.5 against the
official one in ``official_scores_2-1.json``, and — for files whose official run abandoned lines after
its 10-second timeout — the score with those lines replaced by ``无`` as the official run did. The
official scorer's time is not measured here (its code cannot run in lawbench); the issue quotes
135–608 s per 403-item file. Writes bench/results/cherrant_speed.json with ``os.getloadavg()``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from tqdm import tqdm

from lawbench.metrics.lawbench_oc import load_predictions, proofreading, score_task

OUT = Path(__file__).parent / "results" / "cherrant_speed.json"
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OFFICIAL_SECONDS = "135-608 s per 403-item file (the issue's figure for LawBench's own scorer)"


def timed(records: list[dict], data_dir: str) -> tuple[dict, float, float]:
    proofreading._annotation.cache_clear()  # no reuse of another file's reference annotations
    proofreading._costs.cache_clear()
    wall, cpu = time.perf_counter(), time.process_time()
    result = score_task("2-1", records, data_dir=data_dir)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    predictions = args.data / "lawbench_oc" / "predictions"
    official = {row["model"]: row for row in
                json.loads((predictions / "official_scores_2-1.json").read_text(encoding="utf-8"))}
    start = time.perf_counter()
    proofreading._annotation(str((args.data / "cherrant").resolve()), "上诉证据", "上述证据")  # numba load
    startup_s = time.perf_counter() - start
    rows = []
    for model in tqdm(sorted(official), desc="2-1 files"):
        records = load_predictions(predictions / "zero_shot" / model / "2-1.json")
        result, wall, cpu = timed(records, str(args.data))
        row = official[model]
        replaced = row["timeout_replaced_pred_lines"]
        entry = {"model": model, "n": result["n"], "official": row["score"], "lawbench": result["score"],
                 "delta": round(result["score"] - row["score"], 4), "timeout_lines": len(replaced),
                 "lawbench_counts": [result["tp"], result["fp"], result["fn"]],
                 "official_counts": [row["tp"], row["fp"], row["fn"]],
                 "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
        if replaced:
            for line in replaced:
                records[line] = {**records[line], "prediction": "无"}
            emulated, _, _ = timed(records, str(args.data))
            entry["lawbench_with_official_timeouts"] = emulated["score"]
            entry["counts_with_official_timeouts"] = [emulated["tp"], emulated["fp"], emulated["fn"]]
        rows.append(entry)
        print(f"{model:18s} official {row['score']:.4f}  lawbench {result['score']:.4f}  "
              f"Δ {entry['delta']:+.4f}  timeout lines {len(replaced):2d}  "
              + (f"(with them: {entry['lawbench_with_official_timeouts']:.4f})  " if replaced else "")
              + f"{wall:6.2f} s wall  {cpu:6.2f} s CPU")
    results = {"files": rows, "numba_startup_s": round(startup_s, 2), "official_scorer": OFFICIAL_SECONDS,
               "exact_without_timeouts": all(r["delta"] == 0 and r["lawbench_counts"] == r["official_counts"]
                                             for r in rows if not r["timeout_lines"]),
               "exact_with_official_timeouts": all(r.get("lawbench_with_official_timeouts") == r["official"]
                                                   for r in rows if r["timeout_lines"]),
               "loadavg": [round(x, 2) for x in os.getloadavg()], "cpu_count": os.cpu_count()}
    print(f"numba start-up {startup_s:.2f} s; official scorer: {OFFICIAL_SECONDS}; load {results['loadavg']}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
