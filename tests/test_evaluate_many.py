"""Several models in one ``lawbench eval``: adapters of one base load it once and answer as they do alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lawbench.errors import LawbenchError
from lawbench.evaluate import EvalConfig, run_eval
from lawbench.evaluate_many import plan_runs, run_evals
from lawbench.models.adapters import group_shared, share_key
from lawbench.models.resolve import ModelOptions, resolve_model

TASK = "lawshift_term_up_original"


def make_adapter(base: Path, out: Path, seed: int, *, tokenizer: bool = False) -> Path:
    """A LoRA adapter with random (non-zero) weights: each one changes what the model says."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base)
    config = LoraConfig(r=4, lora_alpha=64, target_modules=["q_proj", "v_proj", "down_proj"],
                        init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out)
    if tokenizer:  # recipes save the (unchanged) tokenizer beside the adapter
        AutoTokenizer.from_pretrained(base).save_pretrained(out)
    return out


def answers(run) -> list[str]:
    lines = [json.loads(line) for path in run.sample_paths for line in path.read_text(encoding="utf-8").splitlines()]
    return [line["resps"][0][0] for line in sorted(lines, key=lambda s: s["doc_id"])]


def config(model: Path, data_dir: Path, out: Path, **kw) -> EvalConfig:
    return EvalConfig(model=ModelOptions(str(model)), tasks=TASK, data_dir=str(data_dir), limit=2,
                      gen_kwargs="max_gen_toks=6", output_dir=str(out), use_cache=False, **kw)


def test_adapters_of_one_base_share_it_and_answer_as_alone(tiny_model, lawshift_dir, tmp_path):
    adapters = [make_adapter(tiny_model, tmp_path / name, seed, tokenizer=seed == 2)
                for name, seed in (("sft", 1), ("dpo", 2))]
    models = [(ModelOptions(str(a)), resolve_model(ModelOptions(str(a)))) for a in adapters]
    assert group_shared(models) == [[0, 1]]  # a saved copy of the same tokenizer does not keep dpo apart

    together = run_evals([config(a, lawshift_dir, tmp_path / "together") for a in adapters])
    alone = [run_eval(config(a, lawshift_dir, tmp_path / "alone")) for a in adapters]

    assert [r.run_dir.name for r in together] == ["sft", "dpo"]
    for shared_run, alone_run in zip(together, alone):
        assert answers(shared_run) == answers(alone_run)
        assert shared_run.results["results"][TASK] == alone_run.results["results"][TASK]
        manifest = shared_run.results["lawbench"]
        assert manifest["model"]["fingerprint"] == alone_run.results["lawbench"]["model"]["fingerprint"]
        assert manifest["model"]["shared_base"]["adapters"] == 2
    positions = [r.results["lawbench"]["model"]["shared_base"]["position"] for r in together]
    assert positions == [1, 2]
    assert len({tuple(answers(r)) for r in alone}) > 1  # the adapters do differ: switching is what is tested


def test_models_that_cannot_share_load_on_their_own(tiny_model, tmp_path):
    adapter = make_adapter(tiny_model, tmp_path / "sft", 1)
    assert share_key(ModelOptions(str(tiny_model)), resolve_model(ModelOptions(str(tiny_model)))) is None
    four_bit = ModelOptions(str(adapter), load_in_4bit=True)
    assert share_key(four_bit, resolve_model(four_bit)) is None  # bitsandbytes weights cannot merge exactly
    plain, other_dtype = ModelOptions(str(adapter)), ModelOptions(str(adapter), dtype="bfloat16")
    assert group_shared([(plain, resolve_model(plain)), (other_dtype, resolve_model(other_dtype))]) == [[0], [1]]


def test_several_models_fail_before_loading_when_they_cannot_work_together(tiny_model, lawshift_dir, tmp_path):
    with pytest.raises(LawbenchError, match="--run-name describes one model"):
        plan_runs([config(tiny_model, lawshift_dir, tmp_path, run_name="x"),
                   config(tiny_model, lawshift_dir, tmp_path, run_name="x")])
    with pytest.raises(LawbenchError, match="would share the run folder 'tiny'"):
        plan_runs([config(tiny_model, lawshift_dir, tmp_path), config(tiny_model, lawshift_dir, tmp_path)])
    with pytest.raises(LawbenchError, match="model not found: nowhere"):
        plan_runs([config(tiny_model, lawshift_dir, tmp_path), config(Path("nowhere"), lawshift_dir, tmp_path)])
