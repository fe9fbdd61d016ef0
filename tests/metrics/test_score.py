"""Scorers return records (lawbench.metrics.Score): one parse per output, shared by every consumer."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import lawbench.metrics.lawshift as lawshift_metrics
import lawbench.metrics.rewards as rewards
from lawbench.leaderboard import shift
from lawbench.leaderboard.drilldown import output_and_answer
from lawbench.leaderboard.runs import Sample, load_run
from lawbench.metrics import (
    Judgment,
    Outcome,
    Score,
    extract_choice,
    parse_judgment,
    score_case,
    score_choice,
    score_judgment,
)
from lawbench.tasks.lawshift import utils as lawshift_hooks
from tests.support.chat_server import FakeChatServer, serving

GOLD = {"charge": "盗窃", "prison_time": 6, "side": "original", "shift_type": "V"}
OUTPUTS = (
    "<think>先分析</think><answer>盗窃罪 | 6</answer>",
    "<answer>诈骗 | 24",
    "<answer>盗窃</answer>",  # guilty, no term: its canonical form "盗窃" is no answer to the parser
    "<answer>不违规</answer>",
    "<answer>故意杀人 | 死刑</answer>",
    "V | 7",
    "被告人犯盗窃罪，判处有期徒刑一年六个月",
    "我不知道",
    "",
)


def _count_parses(monkeypatch) -> list[str]:
    """Count parse_judgment calls wherever lawbench's scoring modules imported it."""
    calls: list[str] = []

    def counting(text):
        calls.append(text)
        return parse_judgment(text)

    for module in (lawshift_metrics, rewards, shift):
        monkeypatch.setattr(module, "parse_judgment", counting)
    shift.parse_cached.cache_clear()
    return calls


# --------------------------------------------------------------------------- the record
def test_score_record_prints_its_canonical_answer_and_is_frozen():
    score = Score({"exact_match": 1.0}, answer="C", canonical="C", explanation="chose C")
    assert str(score) == "C" and score.metadata == {}
    with pytest.raises(AttributeError):
        score.value = {}  # type: ignore[misc]


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize(("side", "shift_type"), [("original", "V"), ("poisoned", "NV"), ("poisoned", "TU")])
def test_score_judgment_is_score_case_with_the_parse_kept(output, side, shift_type):
    gold = {**GOLD, "side": side, "shift_type": shift_type}
    record = score_judgment(output, **gold)
    assert record.value == score_case(output, **gold)
    assert list(record.value) == ["charge_acc", "term_acc", "term_score", "verdict_acc", "parse_rate"]
    assert record.answer == parse_judgment(output)
    assert record.canonical == str(record) == record.answer.canonical()
    assert isinstance(record.metadata["expected"], Outcome)
    assert record.metadata["side"] == side and record.metadata["shift_type"] == shift_type
    assert record.explanation.startswith(f"answer {record.canonical or '(unparsed)'}, expected ")
    assert score_judgment(record.answer, **gold) == record  # a Judgment is scored as it is


def test_score_judgment_parses_once(monkeypatch):
    calls = _count_parses(monkeypatch)
    score_judgment(OUTPUTS[0], **GOLD)
    assert len(calls) == 1


@pytest.mark.parametrize("output", OUTPUTS)
def test_canonical_answers_read_back_to_the_same_judgment(output):
    judgment = parse_judgment(output)
    stored = Judgment.from_canonical(judgment.canonical())
    assert stored is not None and stored.source == "canonical"
    assert (stored.verdict, stored.charge, stored.term) == (judgment.verdict, judgment.charge, judgment.term)
    assert score_case(stored, **GOLD) == score_case(judgment, **GOLD)


def test_canonical_answers_of_real_model_outputs_read_back(shared_data):
    """Every response in the LawShift logs: the stored canonical answer stands for the parsed judgment."""
    texts: list[str] = []

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "response" and isinstance(value, str):
                    texts.append(value)
                else:
                    collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for path in sorted((shared_data / "lawshift" / "logs").glob("*.json")):
        collect(json.loads(path.read_text(encoding="utf-8")))
    assert len(texts) > 100
    for text in texts:
        judgment = parse_judgment(text)
        stored = Judgment.from_canonical(judgment.canonical())
        assert stored is not None and (stored.verdict, stored.charge, stored.term) == (
            judgment.verdict, judgment.charge, judgment.term), text


@pytest.mark.parametrize("text", ["<answer>盗窃 | 6</answer>", "盗窃罪 | 6", "盗窃 | 007", "盗窃 | 6个月", "盗窃 |",
                                  " 盗窃 | 6", "盗窃 | 6 | 7", "不违规 | 6"])
def test_free_text_is_not_a_canonical_answer(text):
    assert Judgment.from_canonical(text) is None


@pytest.mark.parametrize(("output", "gold"), [("经分析，答案是C。", "C"), ("选A", "C"), ("正确答案：A、B和D", "abd"),
                                              ("我不确定", "B"), ("答案：D、A", "AD")])
def test_score_choice_records_the_letters_read(output, gold):
    record = score_choice(output, gold)
    letters = extract_choice(output, multi=len(gold) > 1)
    assert record.answer == record.canonical == letters
    assert record.value == {"exact_match": float(letters == "".join(sorted(gold.upper())))}
    assert record.metadata == {"multi": len(gold) > 1}


# --------------------------------------------------------------------------- rewards
COMPLETIONS = ["<think>嗯</think><answer>盗窃 | 6</answer>", "<answer>诈骗 | 24</answer>", "不知道"]
COLUMNS = {"charge": ["盗窃"] * 3, "prison_time": [6] * 3}


def test_weighted_format_charge_term_parses_each_completion_once(monkeypatch):
    completions = ["<think>嗯</think><answer>盗窃 | 6</answer>", "<answer>诈骗 | 24</answer>",
                   "<answer>不违规</answer>"]
    calls = _count_parses(monkeypatch)
    separately = [reward(completions, **COLUMNS) for reward in (rewards.format_reward, rewards.charge_reward,
                                                                 rewards.term_reward)]
    assert len(calls) == 9  # each reward alone (TRL's convention) parses for itself
    calls.clear()
    combined = rewards.weighted_sum(["format", "charge", "term"], [0.2, 0.4, 0.4])(completions, **COLUMNS)
    assert len(calls) == 3
    assert combined == rewards.combine_columns(separately, [0.2, 0.4, 0.4]) == [1.0, 0.2, 0.2]


def test_reward_columns_parse_once_for_a_recipes_separate_rewards(monkeypatch):
    chats = [[{"role": "assistant", "content": c}] for c in COMPLETIONS]
    funcs = [rewards.format_reward, rewards.charge_reward, rewards.term_reward, rewards.choice_reward]
    extra = {"prompts": ["p"] * 3, "completion_ids": [[1]] * 3, "answer": [None] * 3, **COLUMNS}
    calls = _count_parses(monkeypatch)
    columns = rewards.reward_columns(funcs, chats, **extra)
    assert len(calls) == 3
    assert columns == [f(chats, **extra) for f in funcs]


def test_rewards_alone_keep_trls_signature_and_conversational_completions():
    chats = [[{"role": "assistant", "content": c}] for c in COMPLETIONS]
    assert rewards.charge_reward(chats, prompts=["p"] * 3, **COLUMNS) == [1.0, 0.0, 0.0]
    assert rewards.term_reward(chats, **COLUMNS) == [1.0, 0.0, 0.0]
    assert rewards.format_reward(chats) == [1.0, 1.0, 0.0]


def test_weighted_sum_hands_records_only_to_lawbench_judgment_rewards():
    seen = []

    def custom(completions, **kwargs):
        seen.append(sorted(kwargs))
        return [0.0] * len(completions)

    rewards.weighted_sum(["format", "charge", custom])(COMPLETIONS, **COLUMNS)
    assert seen == [["charge", "prison_time"]]


def test_judgment_scores_without_gold_keep_the_parse():
    [record] = rewards.judgment_scores(["<answer>盗窃 | 6</answer>"])
    assert record.value == {} and record.answer == parse_judgment("<answer>盗窃 | 6</answer>")


def test_rejection_sampling_accepts_on_the_records_judgment(monkeypatch):
    from lawbench.recipes.rs_sft import Case

    case = Case([], "lawshift", {"charge": "盗窃", "prison_time": 6})
    calls = _count_parses(monkeypatch)
    assert case.accepts("<think>嗯</think><answer>盗窃罪 | 6</answer>") and len(calls) == 1
    assert not case.accepts("<answer>盗窃 | 7</answer>") and not case.accepts("<answer>诈骗 | 6</answer>")


# --------------------------------------------------------------------------- lm-eval hooks
def test_lawshift_filter_records_feed_process_results_and_print_the_canonical_answer(monkeypatch):
    docs = [GOLD, {**GOLD, "side": "poisoned", "shift_type": "NV"}]
    calls = _count_parses(monkeypatch)
    records = lawshift_hooks.score_responses([[OUTPUTS[0]], [OUTPUTS[3]]], docs)
    metrics = [lawshift_hooks.process_results(doc, [r[0]]) for doc, r in zip(docs, records)]
    assert len(calls) == 2
    assert [str(r[0]) for r in records] == ["盗窃 | 6", "不违规"]
    assert metrics == [score_case(OUTPUTS[0], **docs[0]), score_case(OUTPUTS[3], **docs[1])]
    assert lawshift_hooks.process_results(GOLD, [OUTPUTS[0]]) == metrics[0]  # raw text still works


# --------------------------------------------------------------------------- leaderboard and rescore
def _sample(raw: str, stored: str, doc: dict | None = None, values: dict | None = None) -> Sample:
    return Sample(0, doc or {}, "", "", [[raw]], [stored], None, None, None, [], values or {})


def test_leaderboard_reads_the_stored_canonical_answer_without_parsing(monkeypatch):
    calls = _count_parses(monkeypatch)
    judgment = shift.sample_judgment(_sample("<answer>盗窃</answer>", "盗窃"))
    assert (judgment.verdict, judgment.charge, judgment.term) == ("guilty", "盗窃", None) and calls == []


@pytest.mark.parametrize("raw", ["盗窃", "<answer>盗窃 | 6</answer>", "V | 7"])
def test_leaderboard_parses_older_runs_whose_filtered_resps_are_the_raw_output(monkeypatch, raw):
    calls = _count_parses(monkeypatch)
    assert shift.sample_judgment(_sample(raw, raw)) == parse_judgment(raw) and calls == [raw]


def test_drilldown_shows_the_raw_output_and_the_canonical_answer():
    doc = {"scenario": "s", "shift_type": "V", "side": "original", "idx": 0, "charge": "盗窃", "prison_time": 6}
    raw = "<think>长推理</think><answer>盗窃罪 | 6</answer>"
    assert output_and_answer(_sample(raw, "盗窃 | 6", doc)) == (raw, "盗窃 | 6")
    assert output_and_answer(_sample(raw, raw, doc)) == (raw, "盗窃 | 6")


def test_rescore_scores_the_raw_output_not_the_stored_answer(tmp_path):
    from lawbench.rescore import score_lawshift_samples

    rows = [{"doc": GOLD, "resps": [[raw]], "filtered_resps": [score_judgment(raw, **GOLD).canonical]}
            for raw in OUTPUTS]
    path = tmp_path / "samples_lawshift_x_original_2026-01-01T00-00-00.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = score_lawshift_samples(path)
    expected = [score_case(raw, **GOLD) for raw in OUTPUTS]
    assert result["parse_rate"] == pytest.approx(sum(e["parse_rate"] for e in expected) / len(OUTPUTS))
    assert result["charge_acc"] == pytest.approx(sum(e["charge_acc"] for e in expected) / len(OUTPUTS))


# --------------------------------------------------------------------------- end to end
def test_eval_samples_keep_the_canonical_answer_and_the_leaderboard_uses_it(lawshift_dir, tmp_path, monkeypatch):
    with serving() as base_url:
        done = subprocess.run([sys.executable, "-m", "lawbench", "eval", "--backend", "api", "--model", "judge",
                               "--base-url", base_url,
                               "--tasks", "lawshift_subject_explicit_extend_original,lawshift_term_up_poisoned",
                               "--data-dir", str(lawshift_dir), "--limit", "2",
                               "--output-dir", str(tmp_path / "runs")],
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    run_dir = tmp_path / "runs" / "judge"
    results = json.loads(next(run_dir.glob("results_*.json")).read_text(encoding="utf-8"))["results"]
    assert results["lawshift_subject_explicit_extend_original"]["charge_acc,none"] == 1.0  # keys unchanged
    assert results["lawshift_term_up_poisoned"]["term_acc,none"] == 0.0
    samples = [json.loads(line) for path in run_dir.glob("samples_*.jsonl")
               for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(samples) == 4
    assert all(s["resps"] == [[FakeChatServer.answer]] and s["filtered_resps"] == ["容留他人吸毒 | 7"]
               for s in samples)
    calls = _count_parses(monkeypatch)
    items = shift.shift_items(load_run(run_dir))
    assert len(items) == 4 and all(item.agrees for item in items) and calls == []
