"""Evaluation speed: `lawbench eval` against plain transformers loops, whole process, same model and data.

    python bench/eval_speed.py [--model DIR] [--data-dir ../shared/data] [--limit 25] [--max-new-tokens 32]

Ways to answer the same LawShift prompts (greedy, same chat-templated prompts, same stop rule):

1. ``lawbench eval`` (the CLI, its start-up and lm-eval included; request cache off);
2. the reference scripts' way: a transformers loop, one prompt at a time;
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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "eval_speed.json"
SCENARIOS = ("action_explicit_extend", "action_explicit_reduce")

# The plain loops: what a hand-written evaluation script does. Run in a fresh interpreter.
PLAIN = r'''
import json, sys, time, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from lawbench.tasks.lawshift.data import load_side_dataset, system_prompt
model_dir, data_dir, limit, max_new, batch, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
if threads:
    torch.set_num_threads(threads)
tok = AutoTokenizer.from_pretrained(model_dir); tok.padding_side = "left"
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
prompts = []
for scenario in %r:
    for side in ("original", "poisoned"):
        for doc in load_side_dataset(scenario, side, data_dir)[:limit]:
            messages = [{"role": "system", "content": system_prompt()}, {"role": "user", "content": doc["prompt"]}]
            prompts.append(tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
order = sorted(range(len(prompts)), key=lambda i: -len(tok(prompts[i])["input_ids"])) if batch > 1 else list(range(len(prompts)))
answers = [None] * len(prompts)
start = time.perf_counter()
with torch.no_grad():
    for at in range(0, len(order), batch):
        idx = order[at:at + batch]
        enc = tok([prompts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False)
        gen = model.generate(**enc, max_new_tokens=max_new, do_sample=False, pad_token_id=tok.pad_token_id,
                             stop_strings=["</answer>"], tokenizer=tok)
        for j, i in enumerate(idx):
            answers[i] = tok.decode(gen[j, enc["input_ids"].shape[1]:], skip_special_tokens=True).split("</answer>")[0]
json.dump({"answers": answers, "prompts": prompts, "generate_s": time.perf_counter() - start}, open(out, "w"), ensure_ascii=False)
''' % (SCENARIOS,)  # noqa: E501 (a script run in a fresh interpreter)


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


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
        return [sys.executable, "-c", PLAIN, model, args.data_dir, str(args.limit), str(args.max_new_tokens),
                str(batch), str(out), str(threads)]

    rows = {
        "lawbench eval (batch 1)": timed(lawbench_cmd("b1", 1), env),
        "lawbench eval (batch 1, --no-prefix-cache)": timed(lawbench_cmd("b1np", 1, "--no-prefix-cache"), env),
        "transformers, one prompt at a time": timed(plain_cmd(1, work / "plain1.json"), env),
        f"transformers, length-sorted batches of {args.batch}": timed(plain_cmd(args.batch, work / "plainb.json"),
                                                                      env),
        f"lawbench eval (batch {args.batch})": timed(lawbench_cmd("bN", args.batch), env),
        f"lawbench eval (batch {args.batch}, --no-prefix-cache)": timed(
            lawbench_cmd("bNnp", args.batch, "--no-prefix-cache"), env),
    }
    plain = json.loads((work / "plain1.json").read_text(encoding="utf-8"))
    ours = lawbench_answers(work / "runs" / "b1")
    same = sum(ours.get(p, None) == a for p, a in zip(plain["prompts"], plain["answers"]))
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
