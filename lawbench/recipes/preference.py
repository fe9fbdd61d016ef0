"""Preference data for ``dpo``, ``kto`` and ``rm``: read pairs or labelled samples, or build them from rs-sft.

``--dataset`` takes, for every recipe of the three:

* preference records ``{"prompt", "chosen", "rejected"}``: strings, or TRL's conversational form
  (``prompt`` a list of ``{role, content}`` turns, ``chosen`` / ``rejected`` lists of assistant turns);
* unpaired records ``{"prompt", "completion", "label"}`` (kto only);
* rs-sft's output: its folder or its ``sampled.jsonl`` (one row per sampled answer with the case's chat
  prompt, the answer and the scorer's verdict). ``dpo`` and ``rm`` turn it into pairs, ``kto`` into
  labelled samples, so the loop runs without hand-made preference data::

      lawbench recipe dpo --model out/rs-sft --dataset out/rs-sft --output-dir out/dpo --use_peft

Pairs from rejection sampling (:func:`pairs_from_samples`): within one case, every distinct accepted
answer against every distinct rejected one gives ``A x R`` candidate pairs. Both lists are shuffled
with a generator seeded by ``(pairs_seed, case)`` and the pairs are taken in rotation, so the first
pairs use every answer once before any is reused. A case contributes ``min(A, R)`` pairs by default
(no answer appears twice, and a case with many samples does not outweigh the others), or up to
``pairs_per_case`` pairs. Cases with no accepted or no rejected answer give no pair; kto still
learns from them (:func:`unpaired_from_samples` keeps every distinct answer with its verdict).

Every record is handed to TRL in conversational form and rendered by TRL with the model's chat
template (see :func:`for_trl` for why not as pre-rendered strings).

``dpo`` and ``kto`` also share their frozen reference model (:func:`reference_model`) from here.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from lawbench.errors import DataError, LawbenchError
from lawbench.recipes.runner import RecipeContext, load_model

RS_SAMPLES_FILE = "sampled.jsonl"  # rs_sft.SAMPLED_FILE (not imported: rs_sft pulls in TRL)
KTO_RATIO_RANGE = (1.0, 4 / 3)  # TRL's KTO docs: desirable_weight*n_desirable / (undesirable_weight*n_undesirable)
ROLES = ("system", "user", "assistant")


@dataclass
class PairingArguments:
    """How ``dpo`` and ``rm`` build pairs from rs-sft's ``sampled.jsonl`` (mixed into their TRL config)."""

    pairs_per_case: Optional[int] = field(
        default=None,
        metadata={"help": "rs-sft input: pairs per case (default: min(accepted, rejected), so no answer repeats)."},
    )
    pairs_seed: int = field(default=0, metadata={"help": "rs-sft input: seed of the pair choice (per case)."})

    def check_pairing(self) -> None:
        if self.pairs_per_case is not None and self.pairs_per_case < 1:
            raise ValueError("pairs_per_case must be >= 1 (or left unset for min(accepted, rejected))")


# --------------------------------------------------------------------------- chat records
def chat_prompt(value, where: str) -> list[dict]:
    """A prompt as chat turns: a string becomes one user turn; a turn list is checked.

    >>> chat_prompt("盗窃罪的刑期？", "x")
    [{'role': 'user', 'content': '盗窃罪的刑期？'}]
    """
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    turns = _turns(value, where, "prompt")
    if turns[-1]["role"] == "assistant":
        raise DataError(f"{where}: the prompt ends with an assistant turn; it must end with the user's turn")
    return turns


def chat_reply(value, where: str, key: str) -> list[dict]:
    """An answer as assistant turns: a string becomes one assistant turn; a turn list is checked."""
    if isinstance(value, str):
        return [{"role": "assistant", "content": value}]
    turns = _turns(value, where, key)
    if any(turn["role"] != "assistant" for turn in turns):
        raise DataError(f"{where}: '{key}' must hold assistant turns only")
    return turns


def _turns(value, where: str, key: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise DataError(f"{where}: '{key}' must be a string or a non-empty list of {{role, content}} turns")
    for turn in value:
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            raise DataError(f"{where}: each turn of '{key}' needs role system/user/assistant and text content")
    return [{"role": turn["role"], "content": turn["content"]} for turn in value]


def _label(value, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()  # CSV and parquet files hold labels as text or 0/1
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise DataError(f"{where}: 'label' must be true or false, got {value!r}")


def preference_record(record: dict, where: str) -> dict:
    """A ``prompt / chosen / rejected`` record in TRL's conversational form."""
    return {"prompt": chat_prompt(record["prompt"], where), "chosen": chat_reply(record["chosen"], where, "chosen"),
            "rejected": chat_reply(record["rejected"], where, "rejected")}


def unpaired_record(record: dict, where: str) -> dict:
    """A ``prompt / completion / label`` record in TRL's conversational form."""
    return {"prompt": chat_prompt(record["prompt"], where),
            "completion": chat_reply(record["completion"], where, "completion"),
            "label": _label(record["label"], where)}


def split_pairs(pairs: list[dict]) -> list[dict]:
    """Pairs as KTO samples: each chosen answer desirable, each rejected one undesirable, duplicates once.

    An answer that appears in several pairs is one sample, so the class counts are those of the data.

    >>> pairs = [{"prompt": "p", "chosen": "a", "rejected": "b"}, {"prompt": "p", "chosen": "a", "rejected": "c"}]
    >>> [(s["completion"], s["label"]) for s in split_pairs(pairs)]
    [('a', True), ('b', False), ('c', False)]
    """
    samples, seen = [], set()
    for pair in pairs:
        for key, label in (("chosen", True), ("rejected", False)):
            sample = {"prompt": pair["prompt"], "completion": pair[key], "label": label}
            identity = json.dumps(sample, ensure_ascii=False, sort_keys=True)
            if identity not in seen:
                seen.add(identity)
                samples.append(sample)
    return samples


# --------------------------------------------------------------------------- from rejection sampling
def _answers_by_case(rows: list[dict], where: str) -> dict[int, dict]:
    """``{case: {"prompt", "accepted": [...], "rejected": [...]}}``, distinct answers in sampling order."""
    cases: dict[int, dict] = {}
    for index, row in enumerate(rows):
        if "prompt" not in row:
            raise DataError(f"{where} row {index}: no 'prompt' (the case's chat); it was written by an older "
                            "lawbench: re-run `lawbench recipe rs-sft` to get a sampled.jsonl that dpo/kto/rm "
                            "can read")
        case = cases.setdefault(row["case"], {"prompt": chat_prompt(row["prompt"], f"{where} row {index}"),
                                              "accepted": [], "rejected": []})
        answers = case["accepted" if row["accepted"] else "rejected"]
        if row["response"] not in answers:
            answers.append(row["response"])
    return cases


def rotation(n_accepted: int, n_rejected: int) -> list[tuple[int, int]]:
    """All ``(accepted, rejected)`` index pairs, ordered so each index is used once before any repeats.

    Round ``d`` pairs position ``i`` of the shorter list with position ``(i + d) mod len`` of the longer
    one, so after ``max(A, R)`` rounds every combination has appeared exactly once.

    >>> rotation(2, 3)
    [(0, 0), (1, 1), (0, 1), (1, 2), (0, 2), (1, 0)]
    """
    if n_accepted <= n_rejected:
        return [(i, (i + d) % n_rejected) for d in range(n_rejected) for i in range(n_accepted)]
    return [((j + d) % n_accepted, j) for d in range(n_accepted) for j in range(n_rejected)]


def pairs_from_samples(rows: list[dict], pairs_per_case: int | None = None, seed: int = 0,
                       where: str = RS_SAMPLES_FILE) -> tuple[list[dict], dict]:
    """DPO / reward-model pairs from rs-sft's ``sampled.jsonl`` rows, and counts for the stage file.

    >>> rows = [{"case": 0, "prompt": "问", "response": r, "accepted": ok}
    ...         for r, ok in [("对", True), ("错1", False), ("错2", False)]]
    >>> pairs, stats = pairs_from_samples(rows)
    >>> [(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs], stats["pairs"]
    ([('对', '错2')], 1)
    """
    pairs, per_case = [], []
    for case, answers in sorted(_answers_by_case(rows, where).items()):
        accepted, rejected = list(answers["accepted"]), list(answers["rejected"])
        rng = random.Random(f"{seed}:{case}")  # per case: adding cases does not change the others' pairs
        rng.shuffle(accepted)
        rng.shuffle(rejected)
        limit = pairs_per_case if pairs_per_case is not None else min(len(accepted), len(rejected))
        chosen = rotation(len(accepted), len(rejected))[:limit]
        per_case.append(len(chosen))
        pairs += [{"prompt": answers["prompt"], "chosen": [{"role": "assistant", "content": accepted[a]}],
                   "rejected": [{"role": "assistant", "content": rejected[r]}]} for a, r in chosen]
    stats = {"cases": len(per_case), "pairs": len(pairs), "cases_with_pairs": sum(1 for n in per_case if n),
             "pairs_per_case": pairs_per_case if pairs_per_case is not None else "min(accepted, rejected)",
             "pairs_seed": seed}
    return pairs, stats


def unpaired_from_samples(rows: list[dict], where: str = RS_SAMPLES_FILE) -> tuple[list[dict], dict]:
    """KTO samples from rs-sft's rows: each distinct answer of a case, labelled with the scorer's verdict.

    >>> rows = [{"case": 0, "prompt": "问", "response": r, "accepted": ok}
    ...         for r, ok in [("对", True), ("对", True), ("错", False)]]
    >>> samples, stats = unpaired_from_samples(rows)
    >>> [(s["completion"][0]["content"], s["label"]) for s in samples], stats
    ([('对', True), ('错', False)], {'cases': 1, 'desirable': 1, 'undesirable': 1})
    """
    samples = []
    cases = _answers_by_case(rows, where)
    for _, answers in sorted(cases.items()):
        for key, label in (("accepted", True), ("rejected", False)):
            samples += [{"prompt": answers["prompt"], "completion": [{"role": "assistant", "content": text}],
                         "label": label} for text in answers[key]]
    desirable = sum(1 for s in samples if s["label"])
    return samples, {"cases": len(cases), "desirable": desirable, "undesirable": len(samples) - desirable}


# --------------------------------------------------------------------------- KTO class balance
@dataclass
class ClassBalance:
    """``desirable_weight * n_desirable / (undesirable_weight * n_undesirable)`` and what to do about it."""

    ratio: float
    in_range: bool
    advice: str


def kto_class_balance(n_desirable: int, n_undesirable: int, desirable_weight: float = 1.0,
                      undesirable_weight: float = 1.0) -> ClassBalance:
    """Check the weighted class ratio against TRL's recommended range [1, 4/3] and suggest weights.

    TRL's KTO docs: raise the weight of the rarer class so that
    ``desirable_weight * n_desirable : undesirable_weight * n_undesirable`` lies between 1:1 and 4:3.

    >>> kto_class_balance(10, 30).advice
    'set --desirable_weight between 3.00 and 4.00 (e.g. 3.50)'
    >>> kto_class_balance(12, 10).in_range
    True
    """
    low, high = KTO_RATIO_RANGE
    if n_desirable == 0 or n_undesirable == 0:
        missing = "desirable" if n_desirable == 0 else "undesirable"
        return ClassBalance(float("inf") if n_undesirable == 0 else 0.0, False,
                            f"there are no {missing} samples, so KTO has nothing to contrast them with; add some")
    ratio = desirable_weight * n_desirable / (undesirable_weight * n_undesirable)
    if low <= ratio <= high:
        return ClassBalance(ratio, True, "")
    if ratio < low:  # too little desirable mass: raise desirable_weight
        flag, base = "desirable_weight", undesirable_weight * n_undesirable / n_desirable
        bounds = (base * low, base * high)
    else:  # too much: raise undesirable_weight
        flag, base = "undesirable_weight", desirable_weight * n_desirable / n_undesirable
        bounds = (base / high, base / low)
    middle = (bounds[0] + bounds[1]) / 2
    return ClassBalance(ratio, False, f"set --{flag} between {bounds[0]:.2f} and {bounds[1]:.2f} (e.g. {middle:.2f})")


# --------------------------------------------------------------------------- loading --dataset
def resolve_source(source: str) -> str:
    """An rs-sft output folder stands for its ``sampled.jsonl``; anything else is left as given."""
    path = Path(source).expanduser()
    if path.is_dir() and (path / RS_SAMPLES_FILE).is_file():
        return str(path / RS_SAMPLES_FILE)
    return source


def load_preference_data(recipe, want: str, pairing: PairingArguments | None = None) -> tuple[list[dict], list[dict]]:
    """All ``--dataset`` sources as TRL records: ``want`` is ``"pairs"`` (dpo, rm) or ``"unpaired"`` (kto).

    Returns the records and a description of each dataset (format, fingerprint, counts) for the stage file.
    """
    from lawbench.recipes.data import load_records

    pairing = pairing or PairingArguments()
    records, described = [], []
    for given in recipe.dataset:
        source = resolve_source(given)
        loaded = load_records(source, recipe.dataset_split, recipe.max_records)
        where = loaded.source
        if loaded.format == "rs_samples":
            if want == "pairs":
                found, stats = pairs_from_samples(loaded.records, pairing.pairs_per_case, pairing.pairs_seed, where)
            else:
                found, stats = unpaired_from_samples(loaded.records, where)
        elif loaded.format == "preference":
            found = [preference_record(r, f"{where} record {i}") for i, r in enumerate(loaded.records)]
            stats = {"pairs": len(found)}
            if want == "unpaired":
                found = split_pairs(found)
                stats["split_into"] = len(found)
        elif loaded.format == "unpaired" and want == "unpaired":
            found = [unpaired_record(r, f"{where} record {i}") for i, r in enumerate(loaded.records)]
            stats = {"samples": len(found)}
        else:
            needs = "prompt/chosen/rejected pairs"
            if want == "unpaired":
                needs += " or prompt/completion/label samples"
            raise DataError(f"{where}: {loaded.format} records are not preference data; this recipe needs {needs}, "
                            "or rs-sft's output (its folder or sampled.jsonl) to build them from")
        records += found
        described.append({"source": given, "format": loaded.format, "records": len(loaded.records),
                          "fingerprint": loaded.fingerprint, **stats})
    if not records:
        raise LawbenchError(f"no {'pairs' if want == 'pairs' else 'samples'} in {', '.join(recipe.dataset)}: "
                            "every case had only accepted or only rejected answers, so nothing was trained; "
                            "sample more answers per case in rs-sft (--rs_num_samples) or use kto, "
                            "which needs no pairs")
    return records, described


def for_trl(records: list[dict], tokenizer) -> list[dict]:
    """The records as handed to TRL: conversational, plus a fallback template for tokenizers without one.

    Why conversational records rather than pre-rendered strings: TRL 1.16 renders a conversational
    prompt with ``apply_chat_template(add_generation_prompt=True)`` and the answer as what
    prompt + answer adds to it, i.e. the assistant turn with its end-of-turn token: the same split
    lawbench's sft masks and the same prompt ``lawbench eval`` sends. Strings would take TRL's plain
    path, which tokenizes with ``add_special_tokens=True`` (a second BOS after a template that already
    wrote one) and appends EOS to every answer that does not end with it (a ChatML answer ends with
    ``<|im_end|>\\n``, so a stray extra EOS would be trained). A tokenizer without a chat template gets
    sft's plain template through TRL's per-record ``chat_template_kwargs``.
    """
    if getattr(tokenizer, "chat_template", None):
        return records
    from lawbench.recipes.conversation import PLAIN_TEMPLATE

    return [{**record, "chat_template_kwargs": {"chat_template": PLAIN_TEMPLATE}} for record in records]


# --------------------------------------------------------------------------- the reference model (dpo, kto)
def reference_model(ctx: RecipeContext, model, peft_config):
    """The frozen reference to hand TRL, and how the reference log-probabilities are obtained.

    ``None`` wherever TRL needs no copy. For full fine-tuning lawbench loads the copy itself: TRL would
    reload the path in ``model.config``, which for an adapter merged on load is the bare base model.
    """
    from peft import PeftModel

    if isinstance(model, PeftModel):
        return None, "frozen copy of the input adapter (TRL's 'ref' adapter); no second model"
    if peft_config is not None:
        return None, "base model with the LoRA adapter disabled; no second model"
    if ctx.training.precompute_ref_log_probs:
        return None, "log-probabilities precomputed with the model before training"
    reference, _, _ = load_model(ctx)
    return reference.eval().requires_grad_(False), "second copy of the input model"


def drop_reference_adapter(trainer) -> None:
    """Continuing an adapter, TRL adds a frozen ``ref`` copy of it; the saved policy needs only its own."""
    model = trainer.accelerator.unwrap_model(trainer.model)
    if "ref" in getattr(model, "peft_config", {}):
        model.delete_adapter("ref")
