"""Character TER: lawbench.metrics.text.ter vs sacreBLEU on real LawBench 3-8 pairs.

    python bench/ter_speed.py [--pairs 300] [--workers 2] [--all-pairs] [--data-dir ../shared/data]

Pairs: the ``--pairs`` shortest predictions among GPT4's, chatglm2-6b's and qwen-7b's
(``DATA_DIR/lawbench_oc/predictions/zero_shot/<model>/3-8.json``; shortest because sacreBLEU's
side costs seconds per pair and grows with the length) against the 3-8 references as
``legal_qa_lawbench_3_8`` scores them (``回答:`` removed). Both sides compute the statistics of
``TER(normalized=True, asian_support=True)`` per pair; the figure compared is CPU seconds per pair
(process time: other load on the machine barely moves it), wall time is reported too.

sacreBLEU's pure-Python shift search takes seconds per pair, so its side runs in ``--workers``
processes and each pair's result is appended to ``bench/results/ter_speed.sacrebleu.tmp`` as it
finishes (a rerun resumes). To show both sides under the same load, ``--rematch`` pairs (default 10)
are timed again with sacreBLEU in the final process, next to ours. Every pair must agree exactly
(|difference| < 1e-9 in edits and reference length, so also in sentence and corpus TER).

Writes bench/results/ter_speed.json and the equality fixture the tests read,
tests/metrics/text/ter_sacrebleu_3_8.json (per pair: model, item, a hash of the two texts, sacreBLEU's
edits and reference length; numbers only, no text).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from lawbench.tasks.legal_qa.data import strip_answer_prefix  # noqa: E402
from lawbench.utils.io import atomic_write_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "ter_speed.json"
PARTIAL = ROOT / "bench" / "results" / "ter_speed.sacrebleu.tmp"
FIXTURE = ROOT / "tests" / "metrics" / "text" / "ter_sacrebleu_3_8.json"
DEFAULT_DATA = ROOT.parent / "shared" / "data"
MODELS = ("GPT4", "chatglm2-6b-hf", "qwen-7b-chat-hf")


def pair_key(prediction: str, reference: str) -> str:
    """A short hash of one pair, so the fixture notices data that changed under it."""
    return hashlib.sha256(f"{prediction}\0{reference}".encode()).hexdigest()[:16]


def load_pairs(data_dir: Path, count: int | None = None) -> list[dict]:
    """All 3-8 pairs of the three models, or the ``count`` with the shortest predictions (ties: file order)."""
    references = [strip_answer_prefix(r["answer"]) for r in
                  json.loads((data_dir / "lawbench_oc" / "zero_shot" / "3-8.json").read_text(encoding="utf-8"))]
    pairs = []
    for model in MODELS:
        path = data_dir / "lawbench_oc" / "predictions" / "zero_shot" / model / "3-8.json"
        for key, record in json.loads(path.read_text(encoding="utf-8")).items():
            prediction, reference = record["prediction"], references[int(key)]
            pairs.append({"model": model, "item": int(key), "prediction": prediction, "reference": reference,
                          "key": pair_key(prediction, reference)})
    if count is not None:
        pairs = sorted(pairs, key=lambda p: len(p["prediction"]))[:count]
    return pairs


def _sacrebleu_pair(pair: dict) -> dict:
    from sacrebleu.metrics import TER

    metric = TER(normalized=True, asian_support=True)
    cpu, wall = time.process_time(), time.perf_counter()
    edits, ref_len = metric._extract_corpus_statistics([pair["prediction"]], [[pair["reference"]]])[0]
    return {"key": pair["key"], "edits": edits, "ref_len": ref_len,
            "cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall}


def sacrebleu_side(pairs: list[dict], workers: int) -> dict[str, dict]:
    """sacreBLEU's statistics per pair key, resumed from PARTIAL and appended to it."""
    done = {}
    if PARTIAL.is_file():
        for line in PARTIAL.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            done[row["key"]] = row
    todo = [p for p in pairs if p["key"] not in done]
    if todo:
        with multiprocessing.Pool(workers) as pool, PARTIAL.open("a", encoding="utf-8") as sink:
            for row in tqdm(pool.imap_unordered(_sacrebleu_pair, todo), total=len(todo), desc="sacreBLEU TER"):
                sink.write(json.dumps(row) + "\n")
                sink.flush()
                done[row["key"]] = row
    return done


def _ours(pair: dict) -> tuple[list[float], float]:
    from lawbench.metrics.text import ter

    cpu = time.process_time()
    stats = ter.sentence_stats(pair["prediction"], [pair["reference"]])
    return stats, time.process_time() - cpu


def run_comparison(pairs: list[dict], reference: dict[str, dict], args) -> None:
    from sacrebleu.metrics import TER

    from lawbench.metrics.text import ter

    wall = time.perf_counter()
    ter.sentence_stats("被告人", ["被告人犯盗窃罪"])  # numba: compile or load the cached machine code
    warmup_s = time.perf_counter() - wall

    ours_cpu, rows, sacre_rows, worst = [], [], [], 0.0
    wall = time.perf_counter()
    for pair in tqdm(pairs, desc="lawbench TER"):
        stats, cpu = _ours(pair)
        expected = reference[pair["key"]]
        worst = max(worst, abs(stats[0] - expected["edits"]), abs(stats[1] - expected["ref_len"]))
        ours_cpu.append(cpu)
        rows.append(stats)
        sacre_rows.append([expected["edits"], expected["ref_len"]])
    ours_wall = time.perf_counter() - wall
    metric = TER(normalized=True, asian_support=True)
    metric.num_refs = 1  # for its signature (set by sacreBLEU once it has scored)
    sacre_corpus = metric._compute_score_from_stats([sum(r[0] for r in sacre_rows), sum(r[1] for r in sacre_rows)])
    ours_corpus = ter.corpus_ter(rows)
    if worst > 1e-9 or abs(ours_corpus - sacre_corpus.score) > 1e-9:
        raise SystemExit(f"lawbench and sacreBLEU disagree (max |difference| {worst}, corpus {ours_corpus} "
                         f"vs {sacre_corpus.score})")

    # Both sides again on a few pairs spread over the lengths, in this process (same load).
    step = max(1, len(pairs) // max(1, args.rematch))
    rematch = {"pairs": 0, "sacrebleu_cpu_s": 0.0, "lawbench_cpu_s": 0.0}
    for pair in tqdm(pairs[::step][:args.rematch], desc="rematch"):
        row = _sacrebleu_pair(pair)
        _, cpu = _ours(pair)
        rematch["pairs"] += 1
        rematch["sacrebleu_cpu_s"] += row["cpu_s"]
        rematch["lawbench_cpu_s"] += cpu
    rematch["speedup"] = rematch["sacrebleu_cpu_s"] / rematch["lawbench_cpu_s"]

    sacre_cpu = [reference[p["key"]]["cpu_s"] for p in pairs]
    lengths = [len(p["prediction"]) for p in pairs]
    result = {
        "metric": f"{ter.DESCRIPTION}; sacreBLEU signature {metric.get_signature().format()}",
        "pairs": len(pairs),
        "selection": f"the {len(pairs)} shortest predictions of the three models' LawBench 3-8 files "
                     f"({min(lengths)}-{max(lengths)} characters; references as legal_qa_lawbench_3_8 scores them)",
        "identical": True, "max_abs_difference": worst, "corpus_ter": ours_corpus,
        "sacrebleu_cpu_s": sum(sacre_cpu), "lawbench_cpu_s": sum(ours_cpu), "lawbench_wall_s": ours_wall,
        "speedup_cpu": sum(sacre_cpu) / sum(ours_cpu),
        "sacrebleu_cpu_s_per_pair_median": statistics.median(sacre_cpu),
        "lawbench_cpu_s_per_pair_median": statistics.median(ours_cpu),
        "lawbench_first_call_s": warmup_s,
        "rematch_same_process": rematch,
        "sacrebleu_side": "measured in earlier worker processes (resumable cache), CPU seconds per pair",
        "loadavg": os.getloadavg(), "cpus": os.cpu_count(), "python": platform.python_version(),
        "versions": {name: version(name) for name in ("sacrebleu", "numba", "numpy")},
    }
    if args.all_pairs:
        everything = load_pairs(args.data_dir)
        cpu = sum(_ours(pair)[1] for pair in tqdm(everything, desc="lawbench TER, all pairs"))
        result["lawbench_all_pairs"] = {"pairs": len(everything), "cpu_s": cpu}
    atomic_write_json(OUT, result)
    fixture = {
        "about": "sacreBLEU's TER(normalized=True, asian_support=True) statistics of real LawBench 3-8 pairs, "
                 "written by bench/ter_speed.py; the texts stay in the data folder (key: a hash of both)",
        "sacrebleu": version("sacrebleu"), "selection": result["selection"],
        "pairs": [{"model": p["model"], "item": p["item"], "key": p["key"],
                   "edits": reference[p["key"]]["edits"], "ref_len": reference[p["key"]]["ref_len"]} for p in pairs],
    }
    atomic_write_json(FIXTURE, fixture)
    print(f"\n{len(pairs)} LawBench 3-8 pairs, identical statistics (max |diff| {worst}), corpus TER "
          f"{ours_corpus:.4f}")
    print(f"{'':12s}{'CPU s':>10s}{'per pair (median)':>20s}")
    print(f"{'sacreBLEU':12s}{sum(sacre_cpu):10.1f}{statistics.median(sacre_cpu):20.3f}")
    print(f"{'lawbench':12s}{sum(ours_cpu):10.2f}{statistics.median(ours_cpu):20.4f}")
    print(f"speed-up {result['speedup_cpu']:.0f}x (CPU); same process on {rematch['pairs']} pairs: "
          f"{rematch['speedup']:.0f}x; load average {os.getloadavg()[0]:.1f}")
    if "lawbench_all_pairs" in result:
        print(f"lawbench on all {result['lawbench_all_pairs']['pairs']} pairs: "
              f"{result['lawbench_all_pairs']['cpu_s']:.1f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=300, help="pairs compared with sacreBLEU (shortest predictions)")
    parser.add_argument("--workers", type=int, default=2, help="processes for the sacreBLEU side")
    parser.add_argument("--rematch", type=int, default=10, help="pairs timed again with sacreBLEU in this run")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="folder holding lawbench_oc/")
    parser.add_argument("--sacrebleu-only", action="store_true", help="only fill the sacreBLEU cache")
    parser.add_argument("--all-pairs", action="store_true", help="also time lawbench alone on all 1188 pairs")
    args = parser.parse_args()

    pairs = load_pairs(args.data_dir, args.pairs)
    reference = sacrebleu_side(pairs, args.workers)
    if args.sacrebleu_only:
        return
    run_comparison(pairs, reference, args)


if __name__ == "__main__":
    main()
