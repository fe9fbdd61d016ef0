"""Pairwise judging of stages on fixture runs with a fake judge: both orders asked, position bias turned
into ties, win rates with CIs, a cached rerun, and the site's "Judged" view beside the metric deltas."""

from __future__ import annotations

import json
import re

import pytest

from lawbench.judge.client import JudgeOptions
from lawbench.judge.pairwise import RESULT_FILE, pairwise_runs
from lawbench.leaderboard.site import build_data
from tests.support import lawbench
from tests.support.judge_runs import ITEMS, TASK, write_judge_runs
from tests.support.judge_server import judge_server


def prefer_quality(messages):
    """Prefers the answer with the higher quality mark; on equal marks it always says A (position bias)."""
    text = messages[-1]["content"]
    a, b = (int(q) for q in re.findall(r"【质量(\d)】", text))
    return json.dumps({"winner": "A" if a >= b else "B", "reason": "..."})


@pytest.fixture(scope="module")
def judged_runs(tmp_path_factory):
    """Fixture runs judged pairwise twice (the second time from the cache): (runs folder, result file, calls)."""
    runs = write_judge_runs(tmp_path_factory.mktemp("judged") / "runs")
    with judge_server(prefer_quality) as server:
        options = JudgeOptions(judge_base_url=server.url, judge_model="judge")
        pairwise_runs(runs, options, iters=200, seed=1)
        calls = [len(server.calls)]
        done = lawbench("leaderboard", "build", "--runs", str(runs), "--out", str(runs.parent / "site"),
                        "--bootstrap-iters", "200", "--seed", "1", "--judge-base-url", server.url,
                        "--judge-model", "judge")  # judges again (from the cache), then builds the site
        assert done.returncode == 0, done.stderr[-2000:]
        assert "judged win rates written to" in done.stdout
        calls.append(len(server.calls))
    return runs, runs / RESULT_FILE, calls


def test_pairwise_win_rates_and_the_site(judged_runs):
    runs, path, calls = judged_runs
    # two pairs (sft vs base, dpo vs sft), both orders per item; items 0 and 3 have the same answers at
    # every stage, so dpo vs sft finds their 4 conversations already judged (cached) for sft vs base
    assert calls[0] == 2 * 2 * ITEMS - 4
    assert calls[1] == calls[0]  # the rerun is answered by the cache
    found = json.loads(path.read_text(encoding="utf-8"))
    assert path == runs / RESULT_FILE
    rows = {(r["stage"], r["parent"]): r for r in found["pairs"]}
    sft = rows[("sft", "base")]
    # items 1, 2, 4, 5: sft's answer is better in both orders (wins); 0 and 3: equal answers, the biased judge
    # says A in both orders, which disagree about the stage: ties
    assert (sft["wins"], sft["ties"], sft["losses"], sft["n"], sft["task"]) == (4, 2, 0, 6, TASK)
    assert sft["win_rate"] == pytest.approx(5 / 6, abs=1e-6)
    assert sft["lo"] <= sft["win_rate"] <= sft["hi"] <= 1.0
    assert sft["order_consistency"] == pytest.approx(4 / 6, abs=1e-4)
    assert found["judge"]["rubric"]["name"] == "disc" and found["calls"]["from_cache"] == 2 * 2 * ITEMS

    data, _ = build_data(runs, iters=200, seed=1)
    judged = {(p["stage"], p["task"]): p for p in data["judged"]["pairs"]}
    change = judged[("sft", TASK)]["metric_change"]
    assert change["metric"] == "rougeL" and change["diff"] == pytest.approx(0.2 * 4 / 6, abs=1e-6)
    assert judged[("dpo", TASK)]["win_rate"] == pytest.approx(5 / 6, abs=1e-6)


def test_pairwise_command_needs_a_judge(tmp_path):
    done = lawbench("judge", "pairwise", "--runs", str(tmp_path))
    assert done.returncode == 2 and "needs --judge-base-url and --judge-model" in done.stderr


def test_the_guard_blocks_judge_score_changes_across_rubrics(tmp_path):
    runs = write_judge_runs(tmp_path / "runs", rubric_of={"base": "aa", "sft": "aa", "dpo": "bb"})
    data, _ = build_data(runs, iters=200, seed=1)
    row = next(r for r in data["rows"] if r["node"] == TASK and r["metric"] == "judge_score")
    assert row["vs_parent"]["sft"]["status"] == "ok"
    assert row["vs_parent"]["dpo"]["status"] == "judge"  # another rubric: not comparable
    assert data["judged"]["pointwise"]["dpo"]["rubric"]["sha256"] == "bb"
    rouge = next(r for r in data["rows"] if r["node"] == TASK and r["metric"] == "rougeL")
    assert rouge["vs_parent"]["dpo"]["status"] == "ok"  # other metrics are untouched


def test_the_judged_view_in_a_browser(judged_runs, tmp_path):
    from playwright.sync_api import sync_playwright

    from lawbench.leaderboard import build_site
    from tests.leaderboard.test_browser import _require_browser
    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    _require_browser()
    runs, _, _ = judged_runs
    index = build_site(runs, tmp_path / "site", iters=200)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{index.as_uri()}#/judged")
        page.wait_for_selector("#judged-table")
        row = page.locator('#judged-table tr[data-stage="sft"]')
        cells = row.locator("td").all_inner_texts()
        browser.close()
    assert errors == []
    assert cells[:3] == ["sft", "base", TASK] and cells[3] == "0.833" and cells[5] == "4 / 2 / 0"
    assert cells[9].startswith("rougeL +0.133")  # the metric change vs the parent, beside the win rate
