"""LawBench ROUGE-L: rouge-chinese's own scorer against lawbench's bit-parallel LCS, in one run.

    python bench/lawbench_oc_rouge.py [--data ../shared/data] [--records 200]

Scores the published 3-8 (consultation) predictions of each model in
``<data>/lawbench_oc/predictions/zero_shot/`` both ways on the same jieba-segmented texts, checks
that every pair gives the identical float, and writes bench/results/lawbench_oc_rouge.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tqdm import tqdm

from lawbench.metrics.lawbench_oc import load_predictions
from lawbench.metrics.lawbench_oc.rouge import EMPTY_OUTPUT, rouge_l_pair, segment

OUT = Path(__file__).parent / "results" / "lawbench_oc_rouge.json"
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--records", type=int, default=200, help="records per model file (rouge-chinese is slow)")
    args = parser.parse_args()
    from rouge_chinese import Rouge

    files = sorted((args.data / "lawbench_oc" / "predictions" / "zero_shot").glob("*/3-8.json"))
    if not files:
        raise SystemExit(f"no 3-8 predictions under {args.data}/lawbench_oc/predictions/zero_shot/")
    pairs = []
    for path in files:
        for record in load_predictions(path)[: args.records]:
            hyp = segment(record["prediction"])
            pairs.append((hyp if hyp.strip() else EMPTY_OUTPUT, segment(record["refr"])))
    rouge = Rouge(metrics=["rouge-l"])
    start = time.perf_counter()
    reference = [rouge.get_scores([h], [r])[0]["rouge-l"]["f"] for h, r in tqdm(pairs, desc="rouge-chinese")]
    reference_s = time.perf_counter() - start
    start = time.perf_counter()
    fast = [rouge_l_pair(h, r) for h, r in tqdm(pairs, desc="lawbench")]
    fast_s = time.perf_counter() - start
    mismatches = sum(a != b for a, b in zip(reference, fast))
    results = {"pairs": len(pairs), "files": [p.relative_to(args.data).as_posix() for p in files],
               "rouge_chinese_s": round(reference_s, 3),
               "lawbench_s": round(fast_s, 3), "speedup": round(reference_s / fast_s, 1), "mismatches": mismatches}
    print(f"{len(pairs)} pairs: rouge-chinese {reference_s:.2f} s, lawbench {fast_s:.2f} s "
          f"({results['speedup']}x), identical floats: {mismatches == 0}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
