"""A plain transformers loop over prompts: what a hand-written evaluation script does (the benchmarks' yardstick).

    python bench/plain_loop.py MODEL_DIR REQUESTS.json BATCH OUT.json [THREADS]

``REQUESTS.json`` is ``{"generate": [{"prompt", "until", "max_new"}...], "loglikelihood": [[context,
continuation]...]}`` (see :func:`requests_from_samples`). Generation is greedy, ``until`` strings stop it
as lm-eval's do (and EOS); with ``BATCH`` > 1 prompts are length-sorted (longest first, as lm-eval
sorts them) and left-padded. Log-likelihoods are one forward pass per request (batched the same way).
This script imports torch and transformers only, never lawbench, so its start-up is a plain script's.
``OUT.json`` gets the answers, the log-likelihoods and ``seconds`` (the loop alone).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def run_timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Run ``cmd`` to its exit: (wall seconds, CPU seconds of it and its children, all threads).

    CPU time is what to compare on a machine loaded by others: wall time there mostly measures the wait.
    """
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def requests_from_samples(run_dir: Path) -> dict:
    """The requests ``lawbench eval`` sent, read back from a run folder's ``samples_*.jsonl``.

    A generation sample's ``arguments.gen_args_0`` holds the rendered prompt (``arg_0``) and the
    generation settings (``arg_1``); a log-likelihood sample holds one (context, continuation) pair per
    ``gen_args_<i>``.
    """
    spec: dict = {"generate": [], "loglikelihood": []}
    for path in sorted(run_dir.glob("samples_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            args = json.loads(line)["arguments"]
            first = args["gen_args_0"]
            if isinstance(first.get("arg_1"), dict):
                settings = first["arg_1"]
                spec["generate"].append({"prompt": first["arg_0"], "until": list(settings.get("until") or []),
                                         "max_new": int(settings.get("max_gen_toks", 256))})
            else:
                spec["loglikelihood"] += [[a["arg_0"], a["arg_1"]] for a in args.values()]
    return spec


def _batches(order: list[int], size: int):
    for at in range(0, len(order), size):
        yield order[at:at + size]


def _generate(model, tok, requests: list[dict], batch: int) -> list[str]:
    import torch

    lengths = [len(tok(r["prompt"], add_special_tokens=False)["input_ids"]) for r in requests]
    order = sorted(range(len(requests)), key=lambda i: -lengths[i]) if batch > 1 else list(range(len(requests)))
    answers: list[str] = [""] * len(requests)
    with torch.no_grad():
        for idx in _batches(order, batch):
            first = requests[idx[0]]
            enc = tok([requests[i]["prompt"] for i in idx], return_tensors="pt", padding=True,
                      add_special_tokens=False)
            out = model.generate(**enc, max_new_tokens=first["max_new"], do_sample=False,
                                 pad_token_id=tok.pad_token_id, stop_strings=first["until"] or None,
                                 tokenizer=tok if first["until"] else None)
            for j, i in enumerate(idx):
                text = tok.decode(out[j, enc["input_ids"].shape[1]:], skip_special_tokens=True)
                for stop in requests[i]["until"]:
                    text = text.split(stop)[0]
                answers[i] = text
    return answers


def _loglikelihood(model, tok, pairs: list[list[str]], batch: int) -> list[float]:
    import torch

    encoded = []
    for context, continuation in pairs:
        ctx = tok(context, add_special_tokens=False)["input_ids"]
        cont = tok(continuation, add_special_tokens=False)["input_ids"]
        # the context's left end is cut where the model's window ends, as lm-eval cuts it
        encoded.append(((ctx + cont)[-(model.config.max_position_embeddings + 1):], len(cont)))
    order = sorted(range(len(pairs)), key=lambda i: -len(encoded[i][0])) if batch > 1 else list(range(len(pairs)))
    scores = [0.0] * len(pairs)
    with torch.no_grad():
        for idx in _batches(order, batch):
            width = max(len(encoded[i][0]) - 1 for i in idx)
            ids = torch.full((len(idx), width), tok.pad_token_id or 0)
            for row, i in enumerate(idx):
                tokens = encoded[i][0][:-1]
                ids[row, :len(tokens)] = torch.tensor(tokens)  # right padding: positions stay put
            logprobs = torch.log_softmax(model(ids).logits.float(), dim=-1)
            for row, i in enumerate(idx):
                tokens, n_cont = encoded[i]
                start = len(tokens) - 1 - n_cont
                targets = torch.tensor(tokens[-n_cont:])
                scores[i] = float(logprobs[row, start:start + n_cont].gather(1, targets[:, None]).sum())
    return scores


def main() -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_dir, spec_path, batch, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if len(sys.argv) > 5 and int(sys.argv[5]):
        torch.set_num_threads(int(sys.argv[5]))
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    start = time.perf_counter()
    answers = _generate(model, tok, spec["generate"], batch) if spec.get("generate") else []
    loglikelihoods = _loglikelihood(model, tok, spec["loglikelihood"], batch) if spec.get("loglikelihood") else []
    result = {"answers": answers, "loglikelihoods": loglikelihoods, "seconds": time.perf_counter() - start}
    Path(out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
