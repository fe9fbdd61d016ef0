"""Evaluation speed: `lawbench eval` against plain transformers loops, whole process, same model and data.

    python bench/eval_speed.py [--model DIR] [--data-dir ../shared/data] [--limit 25] [--max-new-tokens 32]

Ways to answer the same LawShift prompts (greedy, same chat-templated prompts, same stop rule):

1. ``lawbench eval`` (the CLI, its start-up and lm-eval included; request cache off);
2. the reference scripts' way: a transformers loop, one prompt at a time (``bench/plain_loop.py`` on the
   prompts lawbench rendered, read back from its samples);
3. a plain length-sorted batched ``generate`` loop (batch ``--batch``);
4. ``lawbench eval --batch-size N`` with the same batch (lm-eval sorts requests by length, so its
   batches are length-bucketed like the plain loop's);
5. ``lawbench eval --no-prefix-cache`` at both batch sizes: what reusing the prompts' shared prefix buys.

Each runs as its own process and is timed from start to exit. The outputs of the plain loop and of
lawbench are compared (they should agree: same prompts, greedy decoding). Figures go to
``bench/results/eval_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "eval_speed.json"
SCENARIOS = ("action_explicit_extend", "action_explicit_reduce")
sys.path.insert(0, str(HERE))
from plain_loop import requests_from_samples, run_timed  # noqa: E402 (bench scripts are run as files)


def timed(cmd: list[str], env: dict) -> float:
    return run_timed(cmd, env)[0]


def lawbench_answers(run_dir: Path) -> dict[str, str]:
    answers = {}
    for path in run_dir.glob("samples_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            answers[row["arguments"]["gen_args_0"]["arg_0"]] = row["resps"][0][0]
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model folder (default: a fresh `lawbench model init`)")
    parser.add_argument("--data-dir", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--limit", type=int, default=25, help="cases per scenario side")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    work = Path(tempfile.mkdtemp(prefix="eval-speed-"))
    model = args.model or str(work / "model")
    if not args.model:
        subprocess.run([sys.executable, "-m", "lawbench", "model", "init", "--out", model], check=True,
                       capture_output=True, env=env)
    tasks = ",".join(f"lawshift_{s}_{side}" for s in SCENARIOS for side in ("original", "poisoned"))
    n = len(SCENARIOS) * 2 * args.limit

    def lawbench_cmd(name: str, batch: int, *extra: str) -> list[str]:
        return [sys.executable, "-m", "lawbench", "eval", "--model", model, "--tasks", tasks, "--data-dir",
                args.data_dir, "--limit", str(args.limit), "--gen-kwargs", f"max_gen_toks={args.max_new_tokens}",
                "--batch-size", str(batch), "--no-cache", "--output-dir", str(work / "runs"), "--run-name", name,
                *extra]

    def plain_cmd(batch: int, out: Path, threads: int = 0) -> list[str]:
        return [sys.executable, str(HERE / "plain_loop.py"), model, str(requests), str(batch), str(out), str(threads)]

    first = timed(lawbench_cmd("b1", 1), env)
    # the plain loops answer the very prompts lawbench rendered (chat template, stop strings included)
    requests = work / "requests.json"
    requests.write_text(json.dumps(requests_from_samples(work / "runs" / "b1"), ensure_ascii=False), encoding="utf-8")
    rows = {
        "lawbench eval (batch 1)": first,
        "lawbench eval (batch 1, --no-prefix-cache)": timed(lawbench_cmd("b1np", 1, "--no-prefix-cache"), env),
        "transformers, one prompt at a time": timed(plain_cmd(1, work / "plain1.json"), env),
        f"transformers, length-sorted batches of {args.batch}": timed(plain_cmd(args.batch, work / "plainb.json"),
                                                                      env),
        f"lawbench eval (batch {args.batch})": timed(lawbench_cmd("bN", args.batch), env),
        f"lawbench eval (batch {args.batch}, --no-prefix-cache)": timed(
            lawbench_cmd("bNnp", args.batch, "--no-prefix-cache"), env),
    }
    plain = json.loads((work / "plain1.json").read_text(encoding="utf-8"))
    prompts = [r["prompt"] for r in json.loads(requests.read_text(encoding="utf-8"))["generate"]]
    ours = lawbench_answers(work / "runs" / "b1")
    same = sum(ours.get(p, None) == a for p, a in zip(prompts, plain["answers"]))
    generation = {name: json.loads(next((work / "runs" / name).glob("results_*.json")).read_text())
                  ["lawbench"]["timings"]["generation_s"]
                  for name in ("b1", "b1np", "bN", "bNnp")}
    best_plain = min(v for k, v in rows.items() if k.startswith("transformers"))
    best_lawbench = min(v for k, v in rows.items() if k.startswith("lawbench"))
    result = {
        "prompts": n, "max_new_tokens": args.max_new_tokens,
        "model": model if args.model else "lawbench model init (default size)",
        "seconds": {k: round(v, 2) for k, v in rows.items()},
        "lawbench_vs_best_plain": round(best_lawbench / best_plain, 3),
        "identical_answers_lawbench_vs_plain_loop": f"{same}/{n}",
        "lawbench_generation_seconds": {"batch 1": generation["b1"], "batch 1, no prefix cache": generation["b1np"],
                                        f"batch {args.batch}": generation["bN"],
                                        f"batch {args.batch}, no prefix cache": generation["bNnp"]},
        "cpu_count": os.cpu_count(),
    }
    width = max(map(len, rows))
    print(f"{n} prompts, max {args.max_new_tokens} new tokens, whole process each:")
    for name, seconds in rows.items():
        print(f"  {name:<{width}}  {seconds:7.1f} s   ({n / seconds:5.2f} prompts/s)")
    print(f"  lawbench / best plain loop: {result['lawbench_vs_best_plain']:.2f}x; identical answers: {same}/{n}")
    print(f"  lawbench generation time alone: {result['lawbench_generation_seconds']}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
