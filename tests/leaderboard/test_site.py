"""`lawbench leaderboard build` without a browser: statistics, guard, LawShift view, exports, errors."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from lawbench.errors import DataError, LawbenchError
from lawbench.leaderboard import build_data, build_site
from lawbench.leaderboard.lineage import order_stages
from lawbench.leaderboard.stats import bootstrap_means, ci95, combine, wilson95
from tests.support.leaderboard_runs import DATE, PAYLOADS, write_fixture_runs

ITERS = 400  # enough for the checks below, fast


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    return write_fixture_runs(tmp_path_factory.mktemp("pipeline"))


@pytest.fixture(scope="module")
def built(runs_dir):
    return build_data(runs_dir, iters=ITERS)


def samples(runs_dir: Path, stage: str, task: str) -> dict[int, dict]:
    path = runs_dir / stage / f"samples_{task}_{DATE}.jsonl"
    return {s["doc_id"]: s for s in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def row(data: dict, node: str, metric: str) -> dict:
    return next(r for r in data["rows"] if r["node"] == node and r["metric"] == metric)


def test_docstring_examples_run():
    import doctest
    import importlib

    for name in ("stats", "items", "lineage", "tasktree", "shift", "drilldown", "curves", "exports", "site", "runs"):
        module = importlib.import_module(f"lawbench.leaderboard.{name}")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and (result.attempted > 0 or name == "site"), name


# ---------------------------------------------------------------- statistics against references
def test_bootstrap_ci_matches_scipy_percentile_bootstrap():
    from scipy.stats import bootstrap

    rng = np.random.default_rng(7)
    before, after = rng.random(300), rng.random(300) * 0.8 + 0.15
    ours = ci95(bootstrap_means(after - before, 4000, 11))
    ref = bootstrap((before, after), lambda a, b: np.mean(b - a), paired=True, vectorized=False,
                    n_resamples=4000, method="percentile", random_state=3).confidence_interval
    assert ours[0] == pytest.approx(ref.low, abs=0.01) and ours[1] == pytest.approx(ref.high, abs=0.01)


def test_stratified_group_replicates_pool_like_lm_eval():
    a, b = np.array([1.0, 0.0, 1.0, 1.0]), np.array([0.0, 0.0])
    reps = [np.full(3, a.mean()), np.full(3, b.mean())]
    assert combine(reps, [4, 2], True)[0] == pytest.approx(np.concatenate([a, b]).mean())  # weight_by_size
    assert combine(reps, [4, 2], False)[0] == pytest.approx((a.mean() + b.mean()) / 2)  # plain mean of tasks


def test_wilson_interval_published_values():
    assert wilson95(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)  # Newcombe (1998), table I
    assert wilson95(0, 10)[1] == pytest.approx(0.2775, abs=1e-4) and wilson95(0, 0) is None


def test_lineage_is_a_depth_first_walk_with_recipe_sibling_order():
    stages = order_stages([("kto", "kto", "rs-sft"), ("dpo", "dpo", "rs-sft"), ("rs", "rs-sft", "sft"),
                           ("sft", "sft", "base"), ("base", "base", None), ("other", "sft", "missing")])
    assert [s.id for s in stages] == ["base", "sft", "rs", "dpo", "kto", "other"]
    assert stages[3].parent == "rs" and stages[3].root == "base" and stages[-1].parent is None
    cyclic = order_stages([("a", "a", "b"), ("b", "b", "a")])
    assert sorted(s.id for s in cyclic) == ["a", "b"]  # a cycle is cut, never loops


# ---------------------------------------------------------------- the overview
def test_columns_follow_lineage_and_cells_match_results(built, runs_dir):
    data, _ = built
    assert [(s["id"], s["parent"], s["root"]) for s in data["stages"]] == [
        ("base", None, "base"), ("pt", "base", "base"), ("sft", "pt", "base"), ("dpo", "sft", "base"),
        ("kto", "sft", "base")]
    results = json.loads((runs_dir / "sft" / f"results_{DATE}.json").read_text(encoding="utf-8"))["results"]
    for node, metric in (("mc_demo_statutes", "acc"), ("mc_demo", "acc"), ("lawshift", "verdict_acc"),
                         ("lawshift", "shift_gap_verdict_acc")):
        cell = row(data, node, metric)["cells"]["sft"]
        assert cell["score"] == pytest.approx(results[node][f"{metric},none"], abs=1e-6)
        assert cell["lo"] <= cell["score"] <= cell["hi"] and cell["ci"] == "bootstrap"
    assert row(data, "mc_demo_statutes", "acc")["primary"] and not row(data, "mc_demo_statutes", "acc_norm")["primary"]


def test_paired_changes_are_mean_differences_on_the_same_items(built, runs_dir):
    data, _ = built
    pt, sft = samples(runs_dir, "pt", "mc_demo_statutes"), samples(runs_dir, "sft", "mc_demo_statutes")
    expected = np.mean([sft[i]["acc"] - pt[i]["acc"] for i in pt])
    change = row(data, "mc_demo_statutes", "acc")["vs_parent"]["sft"]
    assert change["diff"] == pytest.approx(expected, abs=1e-6) and change["status"] == "ok"
    assert change["lo"] <= change["diff"] <= change["hi"]
    assert change["significant"] == (change["lo"] > 0 or change["hi"] < 0)
    # mc_demo is a plain mean of its two tasks (the fixture says so): its change is the mean of theirs.
    leaf_diffs = [row(data, t, "acc")["vs_parent"]["sft"]["diff"] for t in ("mc_demo_statutes", "mc_demo_cases")]
    assert row(data, "mc_demo", "acc")["vs_parent"]["sft"]["diff"] == pytest.approx(np.mean(leaf_diffs), abs=1e-6)
    # vs base for dpo: dpo minus base on every item of the size-weighted LawShift group.
    base_items, dpo_items = [], []
    for task in [r["node"] for r in data["rows"] if r["node"].startswith("lawshift_") and r["kind"] == "task"]:
        b, d = samples(runs_dir, "base", task), samples(runs_dir, "dpo", task)
        base_items += [b[i]["verdict_acc"] for i in sorted(b)]
        dpo_items += [d[i]["verdict_acc"] for i in sorted(b)]
    pooled = row(data, "lawshift", "verdict_acc")["vs_base"]["dpo"]
    assert pooled["diff"] == pytest.approx(np.mean(dpo_items) - np.mean(base_items), abs=1e-6)
    assert pooled["significant"] and pooled["better"] and pooled["direction"] == "up"


def test_guard_hides_changes_where_prompts_differ(built):
    data, _ = built
    assert row(data, "mc_demo_cases", "acc")["vs_parent"]["kto"] == {"status": "prompt"}
    assert row(data, "mc_demo", "acc")["vs_parent"]["kto"] == {"status": "prompt"}  # a group with a blocked task
    assert row(data, "mc_demo_statutes", "acc")["vs_parent"]["kto"]["status"] == "ok"
    assert data["task_versions"]["mc_demo_cases"]["kto"]["vs_parent"] == "prompt"
    assert "mc_demo_cases" not in {t for t, entries in data["transitions"].items()
                                   if any(e["b"] == "kto" and e["status"] == "ok" for e in entries)}


def test_transitions_partition_the_shared_items(built, runs_dir):
    data, _ = built
    pt, sft = samples(runs_dir, "pt", "mc_demo_statutes"), samples(runs_dir, "sft", "mc_demo_statutes")
    entry = next(e for e in data["transitions"]["mc_demo_statutes"] if (e["a"], e["b"]) == ("pt", "sft"))
    kinds = entry["metrics"]["acc"]
    assert kinds["fixed"] == [i for i in sorted(pt) if pt[i]["acc"] == 0 and sft[i]["acc"] == 1]
    assert kinds["broken"] == [i for i in sorted(pt) if pt[i]["acc"] == 1 and sft[i]["acc"] == 0]
    assert sorted(sum(kinds.values(), [])) == sorted(pt)
    # not right/wrong
    assert "term_score" not in next(iter(data["transitions"]["lawshift_term_up_poisoned"]))["metrics"]


# ---------------------------------------------------------------- LawShift
def test_stale_law_rate_counts_answers_that_follow_the_old_statute(built, runs_dir):
    data, _ = built
    for stage in ("base", "sft", "dpo"):
        stale = total = 0
        for scenario, kind in (("object_explicit_reduce", "NV"), ("term_up", "TU")):
            for item in samples(runs_dir, stage, f"lawshift_{scenario}_poisoned").values():
                out = item["resps"][0][0]
                total += 1
                if kind == "NV":  # any guilty verdict ignores that the act is no longer a crime
                    stale += "<answer>" in out and "不违规" not in out
                else:  # the old term (60 months) where the new range starts at 120
                    stale += out == "<answer>盗窃 | 60</answer>"
        found = data["lawshift"]["stages"][stage]["blocks"]["pooled"]["stale"]
        assert (found["k"], found["n"]) == (stale, total)
    assert data["lawshift"]["stages"]["sft"]["blocks"]["type:V"]["stale"] is None  # undefined for V


def test_lawshift_blocks_are_paired_cases(built, runs_dir):
    data, _ = built
    view = data["lawshift"]
    assert view["types"] == ["V", "NV", "TU"] and list(view["scenarios"]) == [
        "subject_explicit_extend", "object_explicit_reduce", "term_up"]
    block = view["stages"]["dpo"]["blocks"]["type:NV"]
    original = samples(runs_dir, "dpo", "lawshift_object_explicit_reduce_original")
    poisoned = samples(runs_dir, "dpo", "lawshift_object_explicit_reduce_poisoned")
    verdict = block["metrics"]["verdict_acc"]
    assert verdict["original"]["score"] == pytest.approx(np.mean([s["verdict_acc"] for s in original.values()]))
    assert verdict["gap"]["score"] == pytest.approx(verdict["poisoned"]["score"] - verdict["original"]["score"])
    table = verdict["table"]
    assert sum(table.values()) == block["n"] == 8
    assert table["rr"] + table["rw"] == sum(s["verdict_acc"] for s in original.values())
    assert table["rr"] == sum(original[i]["verdict_acc"] * poisoned[i]["verdict_acc"] for i in original)
    gap_change = view["stages"]["dpo"]["vs_parent"]["pooled"]
    assert gap_change["status"] == "ok" and gap_change["n"] == 24
    assert all(view["stages"][s]["rescored_differ"] == 0 and view["stages"][s]["unpaired"] == 0
               for s in view["stages"])


# ---------------------------------------------------------------- drill-down, curves, site
def test_items_hold_outputs_and_extracted_answers(built, runs_dir):
    _, items = built
    strings = items["strings"]
    doc = items["tasks"]["lawshift_term_up_poisoned"]["3"]
    sft = doc["stages"]["sft"]
    raw = samples(runs_dir, "sft", "lawshift_term_up_poisoned")[3]
    assert strings[sft["output"]] == raw["resps"][0][0] and strings[doc["gold"]] == raw["target"]
    assert sft["scores"]["verdict_acc"] == raw["verdict_acc"]
    assert strings[sft["prompt"]] == raw["arguments"]["gen_args_0"]["arg_0"]
    mc = items["tasks"]["mc_demo_statutes"]["0"]["stages"]["dpo"]
    assert strings[mc["answer"]] in ("A", "B", "C", "D") and "loglik" in strings[mc["output"]]
    assert any(p in s for s in strings for p in PAYLOADS)  # the payloads reach the page as data


def test_training_curves_group_channels(built):
    data, _ = built
    assert set(data["curves"]) == {"pt", "sft", "dpo", "kto"}
    pt = {c["title"]: c for c in data["curves"]["pt"]["charts"]}
    assert list(pt)[:2] == ["loss", "loss per channel"] and set(pt["loss per channel"]["series"]) == {
        "loss/statutes", "loss/judgments"}
    assert "kl" in {c["title"] for c in data["curves"]["dpo"]["charts"]}
    assert data["curves"]["pt"]["source"] == "checkpoints/pt/trainer_state.json"


def test_site_is_deterministic_self_contained_and_escaped(runs_dir, tmp_path):
    first = build_site(runs_dir, tmp_path / "a", iters=ITERS)
    build_site(runs_dir, tmp_path / "b", iters=ITERS)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert [str(f) for f in files] == [".nojekyll", "exports/overview.csv", "exports/overview.md",
                                       "exports/overview.tex", "index.html"]
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    page = first.read_text(encoding="utf-8")
    assert (len(re.findall(r"<script\b", page)) == 3
            and not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", page))
    for payload in PAYLOADS:
        assert payload not in page  # only ever embedded as \u003c-escaped JSON
    assert "<img" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert str(runs_dir) not in page  # no build-time paths: the same runs elsewhere give the same site
    assert oct(first.stat().st_mode & 0o777) == "0o644"


def test_exports(built):
    data, _ = built
    table = list(csv.DictReader(io.StringIO(data["exports"]["csv"])))
    assert len(table) == sum(len(r["cells"]) for r in data["rows"])
    line = next(r for r in table if (r["task"], r["metric"], r["run"]) == ("mc_demo_cases", "acc", "kto"))
    assert line["vs_parent"] == "" and line["vs_parent_status"] == "prompt"
    md = data["exports"]["md"]
    assert md.startswith("| task | metric | base | pt | sft | dpo | kto |") and "(n/c)" in md
    tex = data["exports"]["tex"]
    assert ("\\begin{tabular}{llrrrrr}" in tex and "mc\\_demo\\_cases" in tex
            and "mc_demo" not in tex.replace("\\_", ""))


# ---------------------------------------------------------------- inputs: newest file, plain lm-eval, errors
def test_newest_results_file_wins_and_plain_lm_eval_runs_work(runs_dir, tmp_path):
    run = tmp_path / "runs" / "solo"
    shutil.copytree(runs_dir / "sft", run)
    old = json.loads((run / f"results_{DATE}.json").read_text(encoding="utf-8"))
    old.pop("lawbench")  # a plain lm-eval run: no manifest
    old["results"]["mc_demo_statutes"]["acc,none"] = 0.123456
    (run / "results_2025-01-01T00-00-00.000000.json").write_text(json.dumps(old), encoding="utf-8")  # older: ignored
    data, _ = build_data(tmp_path / "runs", iters=200)
    assert row(data, "mc_demo_statutes", "acc")["cells"]["solo"]["score"] != 0.123456
    (run / "results_2027-01-01T00-00-00.000000.json").write_text(json.dumps(old), encoding="utf-8")
    data, items = build_data(tmp_path / "runs", iters=200)
    assert [s["stage"] for s in data["stages"]] == ["solo"]  # no manifest: the folder name is the stage
    cell = row(data, "mc_demo_statutes", "acc")["cells"]["solo"]
    stderr = old["results"]["mc_demo_statutes"]["acc_stderr,none"]
    # The samples carry the older time, so they do not belong to the newest results: CI from lm-eval's stderr.
    assert cell["score"] == 0.123456 and cell["ci"] == "stderr" and items["tasks"] == {}
    assert cell["lo"] == pytest.approx(0.123456 - 1.959963984540054 * stderr, abs=1e-6)


def test_errors_are_one_line_and_name_the_file(tmp_path):
    with pytest.raises(LawbenchError, match="no eval runs found"):
        build_data(tmp_path)
    broken = tmp_path / "runs" / "x"
    broken.mkdir(parents=True)
    (broken / "results_1.json").write_text("{\"results\": ", encoding="utf-8")
    with pytest.raises(DataError, match=r"results_1.json: invalid JSON at line 1"):
        build_data(tmp_path / "runs")
    (broken / "results_1.json").write_text(json.dumps({"results": {}}), encoding="utf-8")
    (broken / "samples_t_1.jsonl").write_text('{"doc_id": 0}\nnot json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"samples_t_1.jsonl line 2: not a valid lm-eval sample"):
        build_data(tmp_path / "runs")


# ---------------------------------------------------------------- a real `lawbench eval` run
@pytest.mark.slow
def test_site_from_real_eval_runs(tiny_model, lawshift_dir, tmp_path):
    from lawbench.evaluate import EvalConfig, run_eval
    from lawbench.models.resolve import ModelOptions

    for stage, parent in (("base", None), ("sft", "base")):  # the same weights twice: every change must be 0
        run_eval(EvalConfig(model=ModelOptions(str(tiny_model)), tasks="lawshift", data_dir=str(lawshift_dir), limit=2,
                            gen_kwargs="max_gen_toks=8", output_dir=str(tmp_path / "runs"), run_name=stage,
                            stage=stage, parent=parent, use_cache=False))
    index = build_site(tmp_path / "runs", tmp_path / "site", iters=200)
    data, items = build_data(tmp_path / "runs", iters=200)
    assert [(s["id"], s["parent"]) for s in data["stages"]] == [("base", None), ("sft", "base")]
    results = json.loads(next((tmp_path / "runs" / "sft").glob("results_*.json")).read_text(encoding="utf-8"))
    for r in data["rows"]:
        assert r["cells"]["sft"]["score"] == pytest.approx(
            results["results"][r["node"]][f"{r['metric']},{r['filter']}"], abs=1e-6)
        change = r["vs_parent"]["sft"]
        assert change["status"] == "ok" and change["diff"] == 0 and not change["significant"]
    assert data["lawshift"]["types"] == ["V", "NV", "TU"]
    entry = data["transitions"]["lawshift_term_up_poisoned"][0]
    assert entry["metrics"]["verdict_acc"]["fixed"] == entry["metrics"]["verdict_acc"]["broken"] == []
    doc = items["tasks"]["lawshift_term_up_poisoned"]["0"]
    assert items["strings"][doc["stages"]["sft"]["prompt"]].startswith("<|im_start|>system")
    summary = dict(data["run_summary"]["sft"])
    assert summary["model fingerprint"] == results["lawbench"]["model"]["fingerprint"][:12]
    assert index.is_file()
