"""``lawbench eval --judge-*`` against a fake OpenAI-compatible judge on 127.0.0.1 (deterministic replies):
judge_score and judge_parse_rate per task, per-item judgments in the samples, retries, the repair turn,
the manifest's counts, and a rerun that makes no judge call."""

from __future__ import annotations

import json

import pytest

from lawbench.errors import LawbenchError
from lawbench.evaluate import EvalConfig, run_eval
from lawbench.judge.client import JudgeOptions
from lawbench.models.resolve import ModelOptions
from tests.support.judge_server import DISC_REPLY, judge_server
from tests.tasks.legal_qa.test_legal_qa import write_sources

TASK = "legal_qa_disc_subjective"


def fake_judge():
    def reply(messages):
        prompt = messages[-1]["content"] if len(messages) <= 2 else messages[1]["content"]
        if "醉驾会坐牢吗" in prompt:
            return "我觉得还行。"  # never JSON, even after the repair turn: counted as unparsed
        if "什么是自首" in prompt and len(messages) <= 2:
            return "准确性 4 分"  # the repair turn (len > 2) gets JSON
        return DISC_REPLY

    return reply


def test_eval_with_a_judge_reports_scores_and_a_rerun_makes_no_calls(tiny_model, tmp_path):
    write_sources(tmp_path / "data")
    with judge_server(fake_judge()) as server:
        def run():
            return run_eval(EvalConfig(
                model=ModelOptions(str(tiny_model)), tasks=TASK, data_dir=str(tmp_path / "data"),
                gen_kwargs="max_gen_toks=4", output_dir=str(tmp_path / "runs"), run_name="qa",
                judge=JudgeOptions(judge_base_url=server.url, judge_model="judge", judge_repeats=2,
                                   judge_concurrency=2)))

        first = run()
        calls = len(server.calls)
        entry = first.results["results"][TASK]
        assert entry["judge_parse_rate,none"] == pytest.approx(0.75)  # 3 of 4 parsed (one after a repair)
        assert entry["judge_score,none"] == pytest.approx(0.75)  # DISC_REPLY: (4 + 3 + 5) / 3 = 4 -> 0.75
        assert isinstance(entry["judge_parse_rate_stderr,none"], float)
        judge = first.results["lawbench"]["judge"]
        # 4 asks + 2 repair turns + 2 repeats (self-consistency) + the repeats' repair turns
        assert calls == judge["computed"] >= 8 and judge["failed"] == 0 and judge["from_cache"] == 0
        assert judge["repaired"] == 1 and judge["parsed_first"] == 2 and judge["unparsed"] == 1
        assert judge["tokens_in"] == 10 * calls and judge["tokens_out"] == 3 * calls
        assert judge["rubric"]["name"] == "disc" and len(judge["rubric"]["sha256"]) == 64
        assert judge["reliability"][TASK]["self_consistency"]["n"] >= 1
        assert "judge_s" in first.results["lawbench"]["timings"]
        samples = [json.loads(line) for line in first.sample_paths[0].read_text(encoding="utf-8").splitlines()]
        by_question = {s["doc"]["prompt"]: s for s in samples}
        assert by_question["醉驾会坐牢吗？"]["judge_score"] is None
        assert by_question["醉驾会坐牢吗？"]["judge"] == {"parsed": False, "reply": "我觉得还行。"}
        repaired = by_question["什么是自首？"]["judge"]
        assert repaired["aspects"] == {"accuracy": 4.0, "completeness": 3.0, "clarity": 5.0}
        assert "judge_score" in by_question["什么是自首？"]["metrics"]

        again = run()
        assert len(server.calls) == calls  # every judgment came from the cache
        judge = again.results["lawbench"]["judge"]
        assert judge["computed"] == 0 and judge["from_cache"] == calls
        assert again.results["results"][TASK]["judge_score,none"] == entry["judge_score,none"]


def test_judge_options_are_checked_before_anything_loads(tmp_path):
    with pytest.raises(LawbenchError, match="go together"):
        JudgeOptions(judge_base_url="http://127.0.0.1:1/v1")
    with pytest.raises(LawbenchError, match="neither a built-in rubric"):
        JudgeOptions(judge_base_url="http://127.0.0.1:1/v1", judge_model="m", judge_rubric=str(tmp_path / "no.yaml"))


def test_refused_requests_are_retried_then_counted():
    from lawbench.judge.client import JudgeClient

    refused: set[str] = set()

    def reply(messages):
        text = messages[-1]["content"]
        if text == "always busy":
            return 429
        if text == "busy once" and text not in refused:
            refused.add(text)
            return 503
        return "ok"

    with judge_server(reply) as server:
        client = JudgeClient(JudgeOptions(judge_base_url=server.url, judge_model="m", judge_concurrency=2))
        client.client = client.client.with_options(max_retries=2)
        replies = client.complete([[{"role": "user", "content": t}] for t in ("a", "busy once", "always busy")])
    assert [r and r["text"] for r in replies] == ["ok", "ok", None]
    assert (client.counts.computed, client.counts.failed) == (2, 1)
    assert len(server.calls) == 1 + 2 + 3  # "busy once" retried once, "always busy" tried 1 + 2 times


def test_an_unreachable_judge_is_one_line(tmp_path):
    import socket

    from lawbench.judge.client import JudgeClient

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = JudgeClient(JudgeOptions(judge_base_url=f"http://127.0.0.1:{port}/v1", judge_model="m"))
    client.client = client.client.with_options(max_retries=0)
    with pytest.raises(LawbenchError, match=r"judge: cannot reach http://127.0.0.1:\d+/v1") as caught:
        client.complete([[{"role": "user", "content": "x"}]])
    assert "\n" not in str(caught.value)
