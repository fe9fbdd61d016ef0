"""Many stages on one base: ``lawbench eval --model A --model B …`` against one ``lawbench eval`` per adapter.

    python bench/many_adapters.py [--adapters 4] [--data-dir ../shared/data] [--limit 10] [--max-new-tokens 16]

A pipeline leaves several LoRA adapters of one base (sft, dpo, kto, ...). This builds a tiny base
(``lawbench model init``, default size) and ``--adapters`` random LoRA adapters of it, then times, each as
a whole process from start to exit:

1. one ``lawbench eval`` per adapter (what a user scripts today): base loaded and tasks read N times;
2. one ``lawbench eval --model A1 … --model AN``: tasks read once, base loaded once, adapters merged in turn.

Both evaluate the same LawShift subtasks; the answers are compared (they must be identical). Figures go to
``bench/results/many_adapters.json``.
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
OUT = HERE / "results" / "many_adapters.json"
SCENARIOS = ("action_explicit_extend", "action_explicit_reduce")  # the two in ../shared/data

MAKE_ADAPTER = r'''
import sys, torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
base, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.manual_seed(seed)
config = LoraConfig(r=8, lora_alpha=32, target_modules="all-linear", init_lora_weights=False)
get_peft_model(AutoModelForCausalLM.from_pretrained(base), config).save_pretrained(out)
'''


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def answers(run_dir: Path) -> dict[str, str]:
    found = {}
    for path in sorted(run_dir.glob("samples_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            found[f"{path.name.split('_20')[0]}:{row['doc_id']}"] = row["resps"][0][0]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapters", type=int, default=4)
    parser.add_argument("--data-dir", default=str(HERE.parent.parent / "shared" / "data"))
    parser.add_argument("--limit", type=int, default=10, help="cases per scenario side")
    parser.add_argument("--max-new-tokens", type=int, default=16)
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    work = Path(tempfile.mkdtemp(prefix="many-adapters-"))
    base = work / "base"
    subprocess.run([sys.executable, "-m", "lawbench", "model", "init", "--out", str(base)], check=True,
                   capture_output=True, env=env)
    adapters = [work / f"stage{i}" for i in range(1, args.adapters + 1)]
    for seed, adapter in enumerate(adapters, 1):
        subprocess.run([sys.executable, "-c", MAKE_ADAPTER, str(base), str(adapter), str(seed)], check=True,
                       capture_output=True, env=env)
    tasks = ",".join(f"lawshift_{s}_{side}" for s in SCENARIOS for side in ("original", "poisoned"))

    def eval_cmd(out: Path, *models: Path) -> list[str]:
        flags = [part for m in models for part in ("--model", str(m))]
        return [sys.executable, "-m", "lawbench", "eval", *flags, "--tasks", tasks, "--data-dir", args.data_dir,
                "--limit", str(args.limit), "--gen-kwargs", f"max_gen_toks={args.max_new_tokens}", "--no-cache",
                "--output-dir", str(out)]

    separate = sum(timed(eval_cmd(work / "separate", a), env) for a in adapters)
    together = timed(eval_cmd(work / "together", *adapters), env)
    same = all(answers(work / "separate" / a.name) == answers(work / "together" / a.name) for a in adapters)
    distinct = len({tuple(answers(work / "separate" / a.name).values()) for a in adapters})
    load = {a.name: json.loads(next((work / "together" / a.name).glob("results_*.json")).read_text())
            ["lawbench"]["timings"]["model_load_s"] for a in adapters}
    n = len(SCENARIOS) * 2 * args.limit
    result = {
        "adapters": args.adapters, "prompts_per_adapter": n, "max_new_tokens": args.max_new_tokens,
        "model": "lawbench model init (default size) + random LoRA r=8 on all linear layers",
        "seconds": {f"{args.adapters} separate `lawbench eval` processes": round(separate, 2),
                    f"one `lawbench eval` with {args.adapters} --model": round(together, 2)},
        "speedup": round(separate / together, 2),
        "model_load_or_switch_s_in_one_process": load,
        "identical_answers": same, "distinct_adapters_answers": distinct,
        "cpu_count": os.cpu_count(), "loadavg": os.getloadavg(),
    }
    for name, seconds in result["seconds"].items():
        print(f"  {name:<45} {seconds:7.1f} s")
    print(f"  one process is {result['speedup']:.2f}x faster; identical answers: {same}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
