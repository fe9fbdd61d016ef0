"""dpo / kto / rm on the tiny model, on CPU, a few steps each: learning signal, reference handling, saving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safetensors.torch import load_file

from lawbench.errors import LawbenchError
from lawbench.evaluate import latest_results
from lawbench.recipes import runner
from tests.support import lawbench
from tests.support.recipes import FAST, math_finite, weights_changed
from tests.support.sources import write_lawshift

RIGHT, WRONG = "<answer>容留他人吸毒 | 7</answer>", ("<answer>盗窃 | 3</answer>", "<answer>诈骗 | 5</answer>",
                                                   "<answer>抢劫 | 9</answer>")


def history(out: Path) -> list[dict]:
    return [h for h in json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))["log_history"]
            if "loss" in h]


def stage(out: Path) -> dict:
    return json.loads((out / "lawbench_stage.json").read_text(encoding="utf-8"))


def write_pairs(path: Path, prompts: int, wrong: tuple[str, ...]) -> Path:
    """``prompts`` distinct prompts, each with the right answer against every one of ``wrong``."""
    rows = [{"prompt": f"被告人甲某（案例{i}）多次提供房间供他人吸食毒品。请给出罪名与刑期。",
             "chosen": RIGHT, "rejected": bad} for i in range(prompts) for bad in wrong]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def cases(tmp_path) -> Path:
    return write_lawshift(tmp_path, {"term_up": 4}) / "term_up" / "original.json"


def test_dpo_widens_the_margin_and_then_evaluates(tiny_model, cases, tmp_path):
    pairs, out = write_pairs(tmp_path / "pairs.jsonl", 8, WRONG[:1]), tmp_path / "dpo"
    done = lawbench("recipe", "dpo", "--model", str(tiny_model), "--dataset", str(pairs), "--output-dir", str(out),
                    "--max_steps", "4", "--beta", "0.1", *FAST, "--then-eval", "--tasks", "lawshift_term_up_original",
                    "--data-dir", str(cases.parents[2]), "--limit", "1", "--eval_gen_kwargs", "max_gen_toks=4")
    assert done.returncode == 0, done.stderr[-3000:]
    logged = history(out)
    assert all(math_finite(h["loss"]) for h in logged) and logged[-1]["loss"] < logged[0]["loss"]
    margins = [h["rewards/margins"] for h in logged]
    assert margins[0] == 0.0 and margins[-1] > 0.2 and margins == sorted(margins), margins  # chosen pulls ahead
    assert weights_changed(Path(tiny_model), out)
    assert stage(out)["preference"] == {"pairs": 8, "reference": "second copy of the input model"}
    run = json.loads(latest_results(out / "eval" / "dpo").read_text(encoding="utf-8"))
    assert (run["lawbench"]["stage"], run["lawbench"]["parent"]) == ("dpo", "base")


def test_lora_dpo_on_rs_sft_output_loads_no_reference_copy(tiny_model, cases, tmp_path, monkeypatch):
    """rs-sft's real writer -> its folder as --dataset; one model load, TRL's ref_model None, TRL renders like sft."""
    import trl
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from lawbench.recipes import dpo, rs_sft
    from lawbench.recipes.conversation import tokenize_conversation
    from tests.support.recipes import fake_sampler

    rs_out = tmp_path / "rs"
    rs_ctx = runner.parse("rs-sft", ["--model", str(tiny_model), "--dataset", str(cases), "--output-dir", str(rs_out),
                                     "--rs_num_samples", "4", *FAST])
    monkeypatch.setattr(rs_sft, "sample_hf", fake_sampler([2, 1, 0, 4]))
    rs_cases, _ = rs_sft.load_cases(rs_ctx.recipe)
    rs_sft.run_sampling(rs_ctx, None, AutoTokenizer.from_pretrained(tiny_model), rs_cases)

    loads, trainers = [], []
    real_load = AutoModelForCausalLM.from_pretrained.__func__

    def counting_load(cls, *args, **kwargs):
        loads.append(args[0])
        return real_load(cls, *args, **kwargs)

    class Recorded(trl.DPOTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            trainers.append(self)

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", classmethod(counting_load))
    monkeypatch.setattr(dpo.trl, "DPOTrainer", Recorded)
    out = tmp_path / "dpo-lora"
    runner.main("dpo", ["--model", str(tiny_model), "--dataset", str(rs_out), "--output-dir", str(out), "--max_steps",
                        "2", *FAST, "--use_peft", "--lora_r", "4", "--lora_target_modules", "q_proj", "v_proj"])
    assert len(loads) == 1 and trainers[0].ref_model is None  # the frozen base (adapter off) is the reference
    # cases with (2 right, 2 wrong) and (1, 3); all-right/all-wrong: none
    assert stage(out)["preference"]["pairs"] == 2
    adapter = load_file(out / "adapter_model.safetensors")
    assert any("lora_B" in k and v.abs().sum() > 0 for k, v in adapter.items())  # lora_B starts at zero
    # TRL split prompt and answer where lawbench's sft does: the answer is the assistant turn + end of turn.
    row = trainers[0].train_dataset[0]
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    sft = tokenize_conversation(tokenizer, rs_cases[0].messages + [{"role": "assistant", "content": RIGHT}])
    assert row["prompt_ids"] + row["chosen_ids"] == sft["input_ids"]
    assert row["chosen_ids"] == [t for t, m in zip(sft["input_ids"], sft["assistant_masks"]) if m]
    assert tokenizer.decode(row["chosen_ids"]) == RIGHT + "<|im_end|>\n"


def test_kto_splits_pairs_and_warns_about_class_balance(tiny_model, cases, tmp_path):
    pairs, out = write_pairs(tmp_path / "pairs.jsonl", 2, WRONG), tmp_path / "kto"  # 2 right answers, 6 wrong
    done = lawbench("recipe", "kto", "--model", str(tiny_model), "--dataset", str(pairs), "--output-dir", str(out),
                    "--max_steps", "3", *FAST, "--then-eval", "--tasks", "lawshift_term_up_original",
                    "--data-dir", str(cases.parents[2]), "--limit", "1", "--eval_gen_kwargs", "max_gen_toks=4")
    assert done.returncode == 0, done.stderr[-3000:]
    assert ("2 desirable x desirable_weight 1 against 6 undesirable x undesirable_weight 1 gives a ratio of 0.33, "
            "outside [1, 4/3] that TRL's KTO docs recommend: "
            "set --desirable_weight between 3.00 and 4.00") in done.stderr
    assert stage(out)["preference"]["desirable"] == 2 and stage(out)["preference"]["undesirable"] == 6
    assert all(math_finite(h["loss"]) for h in history(out)) and weights_changed(Path(tiny_model), out)
    assert latest_results(out / "eval" / "kto").is_file()


def test_kto_weights_that_fix_the_balance_silence_the_warning(tiny_model, tmp_path, caplog):
    from lawbench.recipes.kto import check_class_balance
    from lawbench.recipes.preference import load_preference_data

    pairs = write_pairs(tmp_path / "pairs.jsonl", 2, WRONG)
    ctx = runner.parse("kto", ["--model", str(tiny_model), "--dataset", str(pairs),
                               "--output-dir", str(tmp_path / "k"), "--desirable_weight", "3.5"])
    samples, _ = load_preference_data(ctx.recipe, "unpaired")
    with caplog.at_level("WARNING", logger="lawbench"):
        assert check_class_balance(samples, ctx.training) == {"desirable": 2, "undesirable": 6,
                                                              "weighted_ratio": 1.1667}
    assert not caplog.records


def test_lora_reward_model_ranks_chosen_above_rejected(tiny_model, tmp_path):
    from lawbench.recipes.data import load_records
    from lawbench.recipes.rm import load_reward_model, reward_scores

    pairs, out = write_pairs(tmp_path / "pairs.jsonl", 4, WRONG[:2]), tmp_path / "rm"
    done = lawbench("recipe", "rm", "--model", str(tiny_model), "--dataset", str(pairs), "--output-dir", str(out),
                    "--max_steps", "6", *FAST, "--use_peft", "--lora_r", "4", "--lora_target_modules", "q_proj",
                    "v_proj")
    assert done.returncode == 0, done.stderr[-3000:]
    assert all(math_finite(h["loss"]) for h in history(out)) and history(out)[-1]["loss"] < history(out)[0]["loss"]
    assert "base_model.model.score.weight" in load_file(out / "adapter_model.safetensors")  # the head is saved
    model, tokenizer = load_reward_model(str(out))
    records = load_records(str(pairs)).records
    prompts = [r["prompt"] for r in records]
    chosen = reward_scores(model, tokenizer, prompts, [r["chosen"] for r in records])
    rejected = reward_scores(model, tokenizer, prompts, [r["rejected"] for r in records])
    assert all(c > r for c, r in zip(chosen, rejected)), (chosen, rejected)
    alone = reward_scores(model, tokenizer, prompts[:1], [records[0]["rejected"]], batch_size=1)
    assert alone[0] == pytest.approx(rejected[0], abs=1e-5)  # right padding does not move the score


def test_preference_recipe_errors_come_before_any_training(tiny_model, tmp_path, capsys):
    from lawbench import cli

    pairs = write_pairs(tmp_path / "pairs.jsonl", 1, WRONG[:1])
    base = ["--model", str(tiny_model), "--dataset", str(pairs), "--output-dir", str(tmp_path / "out")]
    with pytest.raises(LawbenchError, match="recipe rm: --then-eval does not apply"):
        runner.main("rm", [*base, "--then-eval"])
    with pytest.raises(LawbenchError, match="recipe kto: kto needs --per_device_train_batch_size >= 2"):
        runner.main("kto", [*base, "--per_device_train_batch_size", "1"])
    with pytest.raises(LawbenchError, match="recipe dpo: pairs_per_case must be >= 1"):
        runner.main("dpo", [*base, "--pairs_per_case", "0"])
    assert not (tmp_path / "out").exists()
    assert cli.main(["recipe", "--help"]) == 0
    listed = capsys.readouterr().out
    assert all(f"\n  {name} " in listed for name in ("dpo", "kto", "rm"))


def test_full_dpo_reference_is_the_merged_input_adapter_not_its_base(tiny_model, tmp_path):
    """TRL alone would reload model.config's path: for an adapter merged on load, that is the bare base."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from lawbench.recipes.dpo import reference_model

    adapter = tmp_path / "adapter"
    lora = LoraConfig(r=4, target_modules=["q_proj"], init_lora_weights=False)  # not a no-op, unlike B = 0
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model), lora).save_pretrained(adapter)
    ctx = runner.parse("dpo", ["--model", str(adapter), "--dataset", "unused.jsonl",
                               "--output-dir", str(tmp_path / "o")])
    policy, _, peft_config = runner.load_model(ctx)
    reference, how = reference_model(ctx, policy, peft_config)
    assert how == "second copy of the input model" and reference is not policy
    base = AutoModelForCausalLM.from_pretrained(tiny_model).state_dict()
    ref_state, policy_state = reference.state_dict(), policy.state_dict()
    assert all(torch.equal(ref_state[k], policy_state[k]) for k in policy_state)
    q_proj = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(ref_state[q_proj], base[q_proj])  # the adapter is in the reference
    assert not any(p.requires_grad for p in reference.parameters())
