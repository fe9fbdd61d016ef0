"""Text metrics on 10k Q&A pairs: segment once and share vs re-segment per metric, in one run.

    python bench/text_metrics.py [--pairs 10000] [--chunk 500] [--data-dir ../shared/data]

The pairs are LawBench 3-8 answers (GPT4, chatglm2-6b, qwen-7b predictions vs references from
``DATA_DIR/lawbench_oc/predictions/zero_shot/*/3-8.json``) repeated up to ``--pairs``; without that
folder, synthetic legal sentences. "shared" is ``lawbench.metrics.text.text_metrics`` (one jieba call
per text); "per-metric" is how the common reference scripts do it: ROUGE, BLEU-n and METEOR functions
that each segment both texts again, BLEU orders scored by separate nltk calls. Both must give the
same numbers (checked). The two ways run interleaved over chunks of pairs, alternating which goes
first, and both CPU time (the figure to compare: other load on the machine barely moves it) and wall
time are reported. Writes bench/results/text_metrics.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import sys
import time
from importlib.metadata import version
from pathlib import Path

import jieba
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from lawbench.metrics.text import METRICS, ItemScores, aggregate, score_items, text_metrics  # noqa: E402
from lawbench.utils.io import atomic_write_json  # noqa: E402

OUT = Path(__file__).parent / "results" / "text_metrics.json"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MODELS = ("GPT4", "chatglm2-6b-hf", "qwen-7b-chat-hf")


def load_pairs(data_dir: Path, n: int) -> tuple[list[str], list[str], str]:
    base = data_dir / "lawbench_oc" / "predictions" / "zero_shot"
    pairs = []
    for model in MODELS:
        path = base / model / "3-8.json"
        if path.is_file():
            pairs += [(r["prediction"], r["refr"]) for r in json.loads(path.read_text(encoding="utf-8")).values()]
    source = f"LawBench 3-8 predictions ({len(pairs)} distinct pairs) repeated"
    if not pairs:
        pairs, source = synthetic_pairs(), "synthetic legal sentences (no LawBench predictions found)"
    pairs = list(itertools.islice(itertools.cycle(pairs), n))
    return [p for p, _ in pairs], [r for _, r in pairs], source


def synthetic_pairs(count: int = 500) -> list[tuple[str, str]]:
    # Hand-written clauses recombined: answers of a few hundred characters, like the real ones.
    clauses = ["根据《中华人民共和国民法典》的规定", "当事人应当按照约定全面履行自己的义务",
               "出租人应当履行维修义务", "承租人可以要求减少租金或者延长租期", "用人单位应当依法支付经济补偿",
               "劳动者可以向劳动争议仲裁委员会申请仲裁", "被告人以非法占有为目的秘密窃取他人财物",
               "数额较大的，处三年以下有期徒刑、拘役或者管制", "建议您保留相关证据", "可以向人民法院提起诉讼",
               "诉讼时效期间为三年", "合同自成立时生效",
               "违约方应当承担继续履行、采取补救措施或者赔偿损失等违约责任"]
    rng = random.Random(0)
    answer = lambda: "，".join(rng.sample(clauses, rng.randint(4, 9))) + "。"  # noqa: E731
    return [(answer(), answer()) for _ in range(count)]


PAIRWISE = ("rouge1", "rouge2", "rougeL", "bleu1", "bleu2", "bleu3", "bleu4", "meteor")


def per_metric_pair_sums(predictions: list[str], references: list[str]) -> dict[str, float]:
    """The reference-script way: ROUGE, BLEU-n and METEOR functions that each segment both texts."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    from nltk.translate.meteor_score import meteor_score
    from rouge_chinese import Rouge

    from lawbench.metrics.text import NoWordNet

    def rouge_scores(p: str, r: str) -> dict:
        return Rouge().get_scores(" ".join(jieba.cut(p)), " ".join(jieba.cut(r)))[0]

    def bleu_scores(p: str, r: str) -> list[float]:
        hyp, ref = [w for w in jieba.cut(p) if w.strip()], [w for w in jieba.cut(r) if w.strip()]
        return [sentence_bleu([ref], hyp, weights=(1 / n,) * n, smoothing_function=SmoothingFunction().method3)
                for n in range(1, 5)]

    def meteor(p: str, r: str) -> float:
        hyp, ref = [w for w in jieba.cut(p) if w.strip()], [w for w in jieba.cut(r) if w.strip()]
        return meteor_score([ref], hyp, wordnet=NoWordNet())

    sums = dict.fromkeys(PAIRWISE, 0.0)
    for p, r in zip(predictions, references):
        if not p.strip() or not r.strip():
            continue  # scored 0, as lawbench does (rouge-chinese would raise)
        scores = rouge_scores(p, r)
        sums["rouge1"] += scores["rouge-1"]["f"]
        sums["rouge2"] += scores["rouge-2"]["f"]
        sums["rougeL"] += scores["rouge-l"]["f"]
        for n, b in enumerate(bleu_scores(p, r), start=1):
            sums[f"bleu{n}"] += b
        sums["meteor"] += meteor(p, r)
    return sums


def per_metric_corpus(predictions: list[str], references: list[str]) -> dict[str, float]:
    import sacrebleu

    from lawbench.metrics.text import ter

    # character TER from lawbench's implementation on this side too: sacreBLEU's own takes seconds per
    # pair (hours here); their equality is bench/ter_speed.py's and tests/metrics/text/test_ter.py's
    return {"bleu": sacrebleu.corpus_bleu(predictions, [references], tokenize="zh").score,
            "ter": ter.corpus_ter([ter.sentence_stats(p, [r]) for p, r in zip(predictions, references)]),
            "chrf": sacrebleu.corpus_chrf(predictions, [references]).score}


class Clock:
    """Accumulates CPU (process) and wall seconds over several timed calls."""

    def __init__(self):
        self.cpu = self.wall = 0.0

    def __call__(self, fn, *args):
        cpu, wall = time.process_time(), time.perf_counter()
        result = fn(*args)
        self.cpu += time.process_time() - cpu
        self.wall += time.perf_counter() - wall
        return result


def run_interleaved(predictions: list[str], references: list[str], chunk: int, calls: dict):
    """Both ways over the same chunks, alternating which goes first; returns results, clocks, calls."""
    shared_clock, baseline_clock = Clock(), Clock()
    shared_calls = baseline_calls = 0
    shared_items, sums = ItemScores([], {}), dict.fromkeys(PAIRWISE, 0.0)
    starts = range(0, len(predictions), chunk)
    for k, start in enumerate(tqdm(starts, desc="chunks", unit="chunk")):
        preds, refs = predictions[start:start + chunk], references[start:start + chunk]
        ways = ["shared", "baseline"] if k % 2 == 0 else ["baseline", "shared"]
        for way in ways:
            calls["calls"] = 0
            if way == "shared":
                items = shared_clock(score_items, preds, refs)
                shared_items.pairs.extend(items.pairs)
                for name, rows in items.stats.items():
                    shared_items.stats.setdefault(name, []).extend(rows)
                shared_calls += calls["calls"]
            else:
                for name, value in baseline_clock(per_metric_pair_sums, preds, refs).items():
                    sums[name] += value
                baseline_calls += calls["calls"]
    shared = shared_clock(aggregate, shared_items)
    baseline = {name: value / len(predictions) for name, value in sums.items()}
    baseline.update(baseline_clock(per_metric_corpus, predictions, references))
    return shared, baseline, shared_clock, baseline_clock, (shared_calls, baseline_calls)


def count_jieba_calls():
    """Wrap jieba.cut / jieba.lcut to count calls (both ways pay the same tiny overhead)."""
    counter = {"calls": 0}
    for name in ("cut", "lcut"):
        real = getattr(jieba, name)

        def counted(*args, _real=real, **kwargs):
            counter["calls"] += 1
            return _real(*args, **kwargs)

        setattr(jieba, name, counted)
    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000, help="number of Q&A pairs to score")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="folder holding lawbench_oc/")
    parser.add_argument("--chunk", type=int, default=500, help="pairs per interleaved chunk")
    args = parser.parse_args()

    predictions, references, source = load_pairs(args.data_dir, args.pairs)
    jieba.setLogLevel(60)
    jieba.initialize()  # dictionary load (~1 s) kept out of both timings
    text_metrics(predictions[:2], references[:2])  # imports and lazy loaders likewise
    per_metric_pair_sums(predictions[:2], references[:2])
    calls = count_jieba_calls()

    segment_clock = Clock()
    segment_clock(lambda: [jieba.lcut(t) for t in predictions + references])
    shared, baseline, shared_clock, baseline_clock, (shared_calls, baseline_calls) = run_interleaved(
        predictions, references, args.chunk, calls)

    max_diff = max(abs(shared[k] - baseline[k]) for k in METRICS)
    if max_diff > 1e-9:
        raise SystemExit(f"the two ways disagree (max difference {max_diff:g}): {shared} vs {baseline}")

    speedup = baseline_clock.cpu / shared_clock.cpu
    print(f"\n{len(predictions)} pairs ({source}); jieba alone on all {2 * len(predictions)} texts: "
          f"{segment_clock.cpu:.1f} s CPU")
    print(f"{'':24s}{'CPU time':>10s}{'wall time':>11s}{'jieba calls':>13s}")
    for name, clock, n_calls in (("segment once, share", shared_clock, shared_calls),
                                 ("re-segment per metric", baseline_clock, baseline_calls)):
        print(f"{name:24s}{clock.cpu:9.1f}s{clock.wall:10.1f}s{n_calls:13d}")
    print(f"speed-up {speedup:.2f}x (CPU time); identical results (max |diff| {max_diff:.1e})")
    print(json.dumps({k: round(shared[k], 4) for k in METRICS}, ensure_ascii=False))

    atomic_write_json(OUT, {
        "pairs": len(predictions), "source": source, "chunk": args.chunk,
        "shared": {"cpu_s": round(shared_clock.cpu, 2), "wall_s": round(shared_clock.wall, 2),
                   "jieba_calls": shared_calls},
        "per_metric": {"cpu_s": round(baseline_clock.cpu, 2), "wall_s": round(baseline_clock.wall, 2),
                       "jieba_calls": baseline_calls},
        "speedup_cpu": round(speedup, 3), "jieba_only_all_texts_cpu_s": round(segment_clock.cpu, 2),
        "max_abs_difference": max_diff, "metrics": shared,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_at_end": os.getloadavg()},
        "libraries": {lib: version(lib) for lib in ("jieba", "rouge-chinese", "nltk", "sacrebleu")},
    })
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
