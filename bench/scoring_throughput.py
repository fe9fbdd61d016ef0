"""Scoring throughput: how many model outputs per second each scorer handles (no model involved).

    python bench/scoring_throughput.py

* LawShift: ``parse_judgment`` + ``score_case`` on the 612 real Qwen3-0.6B responses of
  ``../shared/data/lawshift/logs`` (full responses with reasoning), repeated;
* LawBench-compatible: ``score_task`` on the published GPT-4 predictions of 3-4 (term) and 3-8 (ROUGE-L);
* text metrics: ``text_metrics`` (every Q&A metric) on the 3-8 prediction/reference pairs.

Writes ``bench/results/scoring_throughput.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
OUT = HERE / "results" / "scoring_throughput.json"


def rate(label: str, n: int, fn) -> dict:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"{label:52s} {n:7d} items  {seconds:7.2f} s  {n / seconds:10.0f} items/s")
    return {"items": n, "seconds": round(seconds, 3), "items_per_second": round(n / seconds, 1)}


def main() -> None:
    from lawbench.metrics import parse_judgment, score_case
    from lawbench.metrics.lawbench_oc import load_predictions, score_task
    from lawbench.metrics.text import text_metrics

    logs = json.loads((DATA / "lawshift/logs/Qwen3-0.6B_20251115_203907_prompts_responses.json")
                      .read_text(encoding="utf-8"))
    responses = [r["full_response"] for s in logs for side in ("original", "poisoned") for r in s[side]] * 20
    results = {
        "lawshift_parse": rate("LawShift parse_judgment (full reasoning responses)", len(responses),
                               lambda: [parse_judgment(r) for r in responses]),
        "lawshift_score": rate("LawShift score_case (parse + five metrics)", len(responses),
                               lambda: [score_case(r, charge="容留他人吸毒", prison_time=7, side="poisoned",
                                                   shift_type="NV") for r in responses]),
    }
    folder = DATA / "lawbench_oc/predictions/zero_shot/GPT4"
    for task in ("3-4", "3-8"):
        records = load_predictions(folder / f"{task}.json")
        results[f"lawbench_oc_{task}"] = rate(f"LawBench {task} score_task (LawBench-exact + strict)", len(records),
                                              lambda r=records, t=task: score_task(t, r))
    pairs = load_predictions(folder / "3-8.json")
    predictions, references = [p["prediction"] for p in pairs], [p["refr"] for p in pairs]
    results["text_metrics"] = rate("text_metrics, all 11 metrics (3-8 pairs)", len(pairs),
                                   lambda: text_metrics(predictions, references))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
