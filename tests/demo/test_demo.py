"""`lawbench demo`'s data and configuration (the full demo takes minutes; bench/demo_timing.py runs it).

The pipeline itself is covered by test_pipeline_e2e.py; here: the demo's project-written data passes
every loader that reads it, is reproducible, carries the statute change that makes the RL rewards
rise, and both demo configurations (sample data, ``--data-dir``) plan every stage from real files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from lawbench.demo.data import CHANGED, write_demo_data
from lawbench.demo.run import STAGES, config_yaml, demo_config, print_timings
from lawbench.metrics.rewards import weighted_sum
from lawbench.pipeline import make_plan
from lawbench.recipes.data import load_records
from lawbench.tasks.lawshift.data import load_side_dataset
from lawbench.tasks.legal_mmlu.data import load_cmmlu


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> Path:
    return write_demo_data(tmp_path_factory.mktemp("demo") / "demo-data")


def test_demo_data_passes_the_loaders_that_read_it(demo_data):
    data_dir = str(demo_data / "data")
    for scenario in CHANGED:
        original = load_side_dataset(scenario, "original", data_dir)
        poisoned = load_side_dataset(scenario, "poisoned", data_dir)
        assert len(original) == len(poisoned) == 8
        # the poisoned prompt shows the changed statute, the original one the old statute
        new_text = next(iter(CHANGED[scenario].values()))
        assert new_text in poisoned[0]["prompt"] and new_text not in original[0]["prompt"]
    mc = load_cmmlu("college_law", data_dir)
    assert mc["test"] and mc["dev"] and all(doc["answer"] in "ABCD" for doc in mc["test"])
    for name, kind in (("cases.json", "lawshift"), ("corpus.txt", "text"), ("qa.jsonl", "prompt_response"),
                       ("rl_statute_change.jsonl", "prompt")):
        loaded = load_records(str(demo_data / "train" / name))
        assert loaded.records, name
        assert loaded.format == kind, (name, loaded.format)


def test_demo_data_is_reproducible(demo_data, tmp_path):
    again = write_demo_data(tmp_path / "again")
    assert _digests(again) == _digests(demo_data)
    assert _digests(write_demo_data(tmp_path / "other", seed=1)) != _digests(demo_data)


def test_rl_prompts_reward_the_new_statute_not_the_old_one(demo_data):
    """The RL stages can only show a rising reward if the old statute's answers score low."""
    rows = load_records(str(demo_data / "train" / "rl_statute_change.jsonl")).records
    assert {r["shift_type"] for r in rows} == {"TU"} and all(r["prison_time"] <= 12 for r in rows)
    assert all("十年以上有期徒刑" in r["prompt"][-1]["content"] or "十年以上有期徒刑" in r["prompt"][0]["content"]
               for r in rows)
    reward = weighted_sum(["format", "charge", "term"], [0.2, 0.3, 0.5])
    gold = {key: [r[key] for r in rows] for key in ("charge", "prison_time", "side", "shift_type")}
    old_statute = [f"<answer>{r['charge']} | {r['prison_time']}</answer>" for r in rows]  # what sft taught
    new_statute = [f"<answer>{r['charge']} | 120</answer>" for r in rows]  # ten years: inside the new range
    old, new = reward(old_statute, **gold), reward(new_statute, **gold)
    assert max(old) < 0.6 and min(new) == pytest.approx(1.0)


def _check_plan(config: dict, out: Path) -> None:
    plan = make_plan("base-model", ",".join(STAGES), str(out), config)
    assert [s.name for s in plan.stages] == list(STAGES)
    parents = {s.name: s.parent for s in plan.stages}
    assert parents == {"pt": "base", "sft": "pt", "rs-sft": "sft", "dpo": "rs-sft", "kto": "rs-sft",
                       "rm": "rs-sft", "ppo": "rs-sft", "grpo": "rs-sft"}
    assert [s.name for s in plan.stages if not s.evaluated] == ["rm"]
    for stage in plan.stages:
        for source in stage.flags.get("dataset") or []:
            path = Path(source.split("=", 1)[-1].rsplit(":", 1)[0])  # "name=path:weight" mixtures
            if not path.is_relative_to(out):  # e.g. rs-sft's sampled.jsonl, written by the run itself
                assert path.is_file(), (stage.name, source)
        if stage.flags.get("articles"):
            assert Path(stage.flags["articles"]).is_file(), stage.name
    assert Path(plan.eval["data_dir"]).is_dir()


def test_demo_config_on_its_own_data_plans_every_stage(demo_data, tmp_path):
    config = demo_config(demo_data, real=False)
    _check_plan(config, tmp_path / "out")
    assert json.loads(json.dumps(config)) == config  # written to OUT/pipeline.yaml: plain data only
    text = config_yaml(config)
    assert "&id" not in text and "*id" not in text and yaml.safe_load(text) == config


def test_seconds_per_step_is_a_table():
    from rich.console import Console

    console = Console(record=True, width=100)
    print_timings({"model init": 9.3, "sft": 61.6}, {"base": "skipped", "sft": "ran"}, console=console)
    lines = [line.split() for line in console.export_text().splitlines()]
    assert ["│", "sft", "│", "61.6", "│"] in lines and ["│", "base", "│", "skipped", "│"] in lines
    assert ["│", "total", "│", "70.9", "│"] in lines


def test_demo_config_with_data_dir_reads_the_real_datasets(shared_data, tmp_path):
    config = demo_config(shared_data.resolve(), real=True)
    _check_plan(config, tmp_path / "out")
    cases = config["sft"]["dataset"][0]
    assert load_records(cases).format == "lawshift"
    assert (load_records(config["pt"]["dataset"][0].split("=", 1)[1].rsplit(":", 1)[0], limit=5).format
            == "lawgpt_articles")
