"""SFT data preparation at DISC-Law-SFT scale: lawbench's assistant masks vs TRL's, in one run.

    python bench/sft_prep.py [--records 50000] [--num-proc 1 2] [--model TINY_MODEL_DIR]

Records: synthetic multi-turn chats shaped like DISC-Law-SFT (a system prompt in most, one to three
user/assistant rounds, legal questions of ~60-300 characters and answers of ~150-700; assembled from
lawbench.tiny.corpus's hand-written fragments, nothing copied). Tokenizer: the tiny model's
(``lawbench model init``; built in a temporary folder unless ``--model`` is given).

TRL masks assistant tokens only through ``{% generation %}`` markers, which the tiny ChatML template
lacks (TRL 1.16 knows how to patch only a list of published templates), so both sides use the same
template with the markers around each assistant turn's content and end-of-turn text; rendered
without masks it is the tiny template, character for character.

Timed, each way from chats in memory to the dataset SFTTrainer trains on (``input_ids`` + ``labels``):

* TRL: ``Dataset.from_list`` of ``{"messages"}`` records, then ``SFTTrainer._prepare_dataset`` with
  ``assistant_only_loss=True`` (its tokenising map, labels map, truncation);
* lawbench: ``lawbench.recipes.conversation.tokenized_dataset`` (what ``lawbench recipe sft`` runs),
  then the same ``_prepare_dataset``, which sees ``input_ids`` + ``assistant_masks`` and only builds
  labels and truncates.

``dataset_num_proc`` (``--num-proc``) goes to both. input_ids and labels must be identical on every
record. Writes bench/results/sft_prep.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from lawbench.tiny import corpus  # noqa: E402
from lawbench.tiny.model import MARKED_CHAT_TEMPLATE  # noqa: E402
from lawbench.utils.io import atomic_write_json  # noqa: E402

OUT = Path(__file__).parent / "results" / "sft_prep.json"

SYSTEMS = ("你是一名专业的法律助手，请根据中华人民共和国法律回答用户的问题。",
           "你是一个法律智能助手，回答应当准确、简洁，并引用相关法条。",
           "请以律师的身份，结合案情给出法律分析和建议。")
ASKS = ("请问这种情况构成什么罪？", "应当如何处罚？", "我应该怎么办？", "法院一般会怎么判？", "可以要求赔偿吗？",
        "需要承担什么法律责任？", "能不能判缓刑？")


def _case(rng: random.Random) -> str:
    name, city, place = rng.choice(corpus.NAMES), rng.choice(corpus.CITIES), rng.choice(corpus.PLACES)
    acts = "，".join(rng.sample(corpus.ACTS, rng.randint(1, 3)))
    return f"{city}{place}，{name}{acts}，{rng.choice(corpus.CIRCUMSTANCES)}。"


def _question(rng: random.Random) -> str:
    return "".join(_case(rng) for _ in range(rng.randint(1, 4))) + rng.choice(ASKS)


def _answer(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(2, 7)):
        charge = rng.choice(corpus.CHARGES)
        parts.append(f"根据《中华人民共和国刑法》的规定，行为人的行为构成{charge}罪，{rng.choice(corpus.PENALTIES)}。"
                     f"本案中行为人{rng.choice(corpus.CIRCUMSTANCES)}，可以依法从轻处罚。")
    return "".join(parts) + "建议及时咨询专业律师，保留相关证据。"


def synthetic_chats(count: int, seed: int = 0) -> list[list[dict]]:
    rng = random.Random(seed)
    chats = []
    for _ in range(count):
        chat = [{"role": "system", "content": rng.choice(SYSTEMS)}] if rng.random() < 0.7 else []
        for _ in range(rng.choice((1, 1, 2, 3))):
            chat += [{"role": "user", "content": _question(rng)}, {"role": "assistant", "content": _answer(rng)}]
        chats.append(chat)
    return chats


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000, help="synthetic chats to prepare")
    parser.add_argument("--num-proc", type=int, nargs="+", default=[1, 2], help="dataset_num_proc values to time")
    parser.add_argument("--max-length", type=int, default=2048, help="SFT max_length (tokens)")
    parser.add_argument("--model", type=Path, default=None, help="a tiny model folder (default: build one)")
    args = parser.parse_args()

    import datasets
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from lawbench.recipes.conversation import tokenized_dataset
    from lawbench.tiny.model import init_tiny_model

    datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model or init_tiny_model(Path(tmp) / "tiny")
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        tokenizer.chat_template = MARKED_CHAT_TEMPLATE
        chats = synthetic_chats(args.records)
        model = AutoModelForCausalLM.from_pretrained(model_dir)
        runs = []
        for num_proc in args.num_proc:
            config = SFTConfig(output_dir=str(Path(tmp) / "out"), assistant_only_loss=True, report_to=[], use_cpu=True,
                               bf16=False,
                               max_length=args.max_length, dataset_num_proc=None if num_proc == 1 else num_proc)
            trainer = SFTTrainer(model=model, args=config, processing_class=tokenizer,
                                 train_dataset=datasets.Dataset.from_list([{"messages": c} for c in chats[:8]]))

            def prepare(dataset, config=config, trainer=trainer):
                return trainer._prepare_dataset(dataset, tokenizer, config, packing=False, formatting_func=None,
                                                dataset_name="train")

            def trl_way():
                return prepare(datasets.Dataset.from_list([{"messages": c} for c in chats]))

            def lawbench_way(num_proc=num_proc):
                return prepare(tokenized_dataset(tokenizer, chats, args.max_length, num_proc=num_proc))

            order = [("trl", trl_way), ("lawbench", lawbench_way)]
            results, seconds = {}, {}
            for name, way in order if len(runs) % 2 == 0 else order[::-1]:
                results[name], seconds[name] = _timed(way)
                print(f"num_proc={num_proc} {name}: {seconds[name]:.1f} s", flush=True)
            same = (results["trl"]["input_ids"] == results["lawbench"]["input_ids"]
                    and results["trl"]["labels"] == results["lawbench"]["labels"])
            if not same:
                raise SystemExit("lawbench and TRL prepared different input_ids or labels")
            tokens = sum(len(ids) for ids in results["trl"]["input_ids"])
            trained = sum(label != -100 for labels in results["trl"]["labels"] for label in labels)
            runs.append({"num_proc": num_proc, "trl_s": seconds["trl"], "lawbench_s": seconds["lawbench"],
                         "ratio": seconds["lawbench"] / seconds["trl"], "identical_input_ids_and_labels": same,
                         "tokens": tokens, "trained_tokens": trained, "loadavg": os.getloadavg()})
    turns = sum(1 for chat in chats for m in chat if m["role"] == "assistant")
    result = {"records": len(chats), "assistant_turns": turns, "max_length": args.max_length, "runs": runs,
              "loadavg": os.getloadavg(), "cpus": os.cpu_count(), "python": platform.python_version(),
              "versions": {name: version(name) for name in ("trl", "transformers", "datasets", "tokenizers")}}
    atomic_write_json(OUT, result)
    print(f"\n{len(chats)} chats, {turns} assistant turns, {runs[0]['tokens']} tokens "
          f"({runs[0]['trained_tokens']} trained)")
    print(f"{'num_proc':>8s}{'TRL s':>9s}{'lawbench s':>12s}{'ratio':>8s}")
    for run in runs:
        print(f"{run['num_proc']:8d}{run['trl_s']:9.1f}{run['lawbench_s']:12.1f}{run['ratio']:8.2f}")


if __name__ == "__main__":
    main()
