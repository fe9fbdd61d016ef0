"""Pipeline planning: stage order, parents, default data, flags, resumability decisions."""

from __future__ import annotations

import pytest

from lawbench.errors import LawbenchError
from lawbench.pipeline import _flag_args, make_plan


def test_parents_default_to_the_previous_stage_and_rm_is_a_side_branch(tmp_path):
    plan = make_plan("m", "pt,sft,rs-sft,dpo,kto,rm,ppo,grpo", str(tmp_path), {"kto": {"parent": "rs-sft"}})
    parents = {s.name: s.parent for s in plan.stages}
    assert parents == {"pt": "base", "sft": "pt", "rs-sft": "sft", "dpo": "rs-sft", "kto": "rs-sft", "rm": "kto",
                       "ppo": "kto", "grpo": "ppo"}
    by_name = {s.name: s for s in plan.stages}
    samples = str(tmp_path / "checkpoints" / "rs-sft" / "sampled.jsonl")
    assert (by_name["dpo"].flags["dataset"] == [samples] == by_name["kto"].flags["dataset"]
            == by_name["rm"].flags["dataset"])
    assert by_name["ppo"].flags["reward_model"] == str(tmp_path / "checkpoints" / "rm")
    assert not by_name["rm"].evaluated and by_name["ppo"].evaluated


def test_flags_defaults_and_placeholders(tmp_path):
    config = {"defaults": {"max_steps": 5, "report_to": "none"},
              "sft": {"dataset": ["{out}/data.jsonl"], "max_steps": 7, "use_peft": True},
              "stages": ["sft"], "model": "from-yaml"}
    plan = make_plan(None, None, str(tmp_path), config)
    assert plan.model == "from-yaml" and [s.name for s in plan.stages] == ["sft"]
    flags = plan.stages[0].flags
    assert flags == {"max_steps": 7, "report_to": "none", "dataset": [f"{tmp_path}/data.jsonl"], "use_peft": True}
    assert _flag_args(flags) == ["--max_steps", "7", "--report_to", "none", "--dataset", f"{tmp_path}/data.jsonl",
                                 "--use_peft", "true"]


@pytest.mark.parametrize(
    ("stages", "config", "message"),
    [
        ("sft,dpo", {"dpo": {"parent": "kto"}}, "parent 'kto' is not base or an earlier stage"),
        ("sft,magic", {}, "unknown recipe"),
        ("sft", {"sftt": {}}, "unknown key(s) ['sftt']"),
        ("", {}, "--stages is required"),
    ],
)
def test_plan_errors(tmp_path, stages, config, message):
    with pytest.raises(LawbenchError) as err:
        make_plan("m", stages, str(tmp_path), config)
    assert message in str(err.value)


def test_custom_stage_names_with_a_recipe(tmp_path):
    plan = make_plan("m", "sft,sft-2", str(tmp_path), {"sft-2": {"recipe": "sft", "parent": "base"}})
    assert [(s.name, s.recipe, s.parent) for s in plan.stages] == [("sft", "sft", "base"), ("sft-2", "sft", "base")]
