"""Scores while training on the site: each task's live points against steps, stages joined in lineage order."""

from __future__ import annotations

import pytest

from lawbench.leaderboard.site import build_data
from tests.support.leaderboard_runs import write_fixture_runs


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return build_data(write_fixture_runs(tmp_path_factory.mktemp("pipeline")), iters=200)[0]


def test_live_scores_are_joined_across_stages(data):
    live = data["live"]
    # 20 steps per trained stage: sft starts where pt ended, dpo and kto (siblings) both where sft ended
    assert live["offsets"] == {"base": 0, "pt": 0, "sft": 20, "dpo": 40, "kto": 40}
    chart = next(c for c in live["charts"] if (c["node"], c["metric"]) == ("mc_demo", "acc"))
    assert (chart["primary"], chart["depth"]) == (True, 0)  # matched to the overview's row
    row = next(r for r in data["rows"] if (r["node"], r["metric"]) == ("mc_demo", "acc"))
    segments = {s["stage"]: s["points"] for s in chart["segments"]}
    assert segments["sft"] == [[20, row["cells"]["pt"]["score"]], [30, 0.4], [40, 0.5]]  # from pt's final eval
    assert segments["pt"][0] == [0, row["cells"]["base"]["score"]]
    finals = {f["stage"]: f for f in chart["finals"]}
    assert finals["base"]["x"] == 0 and finals["kto"]["x"] == 60
    assert finals["dpo"]["score"] == row["cells"]["dpo"]["score"] and finals["dpo"]["lo"] <= finals["dpo"]["hi"]
    assert live["eval_seconds"] == {"pt": 3.0, "sft": 3.0, "dpo": 3.0, "kto": 3.0}


def test_live_keys_stay_out_of_the_loss_and_reward_charts(data):
    for curves in data["curves"].values():
        assert not any(k.startswith("lawbench/") for c in curves["charts"] for k in c["series"])
        assert curves["live"]["series"]["mc_demo/acc"] == [[10, 0.4], [20, 0.5]]
