"""``lawbench serve`` on the tiny model (transformers engine, CPU, 127.0.0.1, a free port), and the
commands that talk to it: ``eval --backend api``, ``chat --backend api --message``, ``generate --backend api``.

One server is shared by the module; its teardown checks that SIGINT stops it cleanly.
"""

from __future__ import annotations

import io
import json
import signal
import urllib.request

import pytest

from lawbench.evaluate import latest_results
from lawbench.inference.chat import ChatConfig, run_chat
from lawbench.models.resolve import ModelOptions
from tests.support import lawbench
from tests.support.inference import serving
from tests.support.sources import write_lawshift

GEN = ["--gen-kwargs", "max_gen_toks=6"]


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory):
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with serving(tiny_model, log) as running:
        yield running
        status = running.stop(signal.SIGINT)
        assert status == 0, running.output()[-2000:]
        assert "lawbench serve: stopped" in running.output()


def api(server) -> list[str]:
    return ["--backend", "api", "--base-url", server.url, "--model", server.name]


def test_models_lists_the_printed_name(server, tiny_model):
    assert server.name == str(tiny_model.resolve())  # transformers serve names a local model by its path
    with urllib.request.urlopen(server.url + "/models", timeout=30) as response:
        listed = [entry["id"] for entry in json.load(response)["data"]]
    assert listed == [server.name]


def test_eval_over_the_api(server, tmp_path):
    data = write_lawshift(tmp_path / "data", {"term_up": 2})
    done = lawbench("eval", *api(server), "--tasks", "lawshift_term_up_original", "--data-dir", str(data.parent),
                    "--limit", "2", *GEN, "--output-dir", str(tmp_path / "runs"), "--run-name", "api", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(latest_results(tmp_path / "runs" / "api").read_text(encoding="utf-8"))
    assert results["results"]["lawshift_term_up_original"]["charge_acc,none"] == 0.0  # a random model, but scored
    assert results["n-samples"]["lawshift_term_up_original"]["effective"] == 2


def test_chat_message_over_the_api_answers_as_the_local_model(server, tiny_model):
    remote = lawbench("chat", *api(server), "--message", "盗窃罪如何量刑？", *GEN, timeout=120)
    assert remote.returncode == 0, remote.stderr[-2000:]
    local = io.StringIO()  # in process: one model load fewer
    run_chat(ChatConfig(model=ModelOptions(str(tiny_model)), message="盗窃罪如何量刑？", gen_kwargs=GEN[1]),
             stdout=local)
    assert remote.stdout == local.getvalue()  # same weights, same chat template, greedy: the same reply


def test_generate_over_the_api_keeps_fields_and_resumes(server, tmp_path):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"id": 1, "prompt": "盗窃罪如何量刑？", "reference": "三年以下"},
            {"id": 2, "messages": [{"role": "user", "content": "你好"}], "reference": "你好"}]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    done = lawbench("generate", *api(server), "--input", str(source), "--output", str(out), *GEN, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [{k: v for k, v in line.items() if k != "prediction"} for line in lines] == rows
    assert all(isinstance(line["prediction"], str) for line in lines)
    again = lawbench("generate", *api(server), "--input", str(source), "--output", str(out), *GEN, timeout=120)
    assert "0 generated, 2 already there" in again.stdout


def test_a_busy_port_is_one_line(server, tiny_model):
    port = server.url.rsplit(":", 1)[1].split("/")[0]
    done = lawbench("serve", "--model", str(tiny_model), "--port", port, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"lawbench: error: cannot listen on 127.0.0.1:{port}: "
                                                "Address already in use; pass a free port with --port"]



def test_eval_with_the_tiny_model_as_a_loopback_judge(server, tiny_model, tmp_path):
    """``lawbench eval --judge-*`` against a real server: the tiny model answers (in process) and, served, judges
    the answers; its judgments do not parse (the failure path: counted, never fatal), and a rerun asks nothing."""
    from lawbench.evaluate import EvalConfig, run_eval
    from lawbench.judge.client import JudgeOptions
    from tests.tasks.legal_qa.test_legal_qa import write_sources

    write_sources(tmp_path / "data")

    def run():
        return run_eval(EvalConfig(
            model=ModelOptions(str(tiny_model)), tasks="legal_qa_disc_subjective",
            data_dir=str(tmp_path / "data"), limit=2, gen_kwargs="max_gen_toks=6", output_dir=str(tmp_path / "runs"),
            run_name="judged", judge=JudgeOptions(judge_base_url=server.url, judge_model=server.name,
                                                  judge_max_tokens=16, judge_repeats=0)))

    first = run()
    entry = first.results["results"]["legal_qa_disc_subjective"]
    assert entry["judge_parse_rate,none"] == 0.0 and entry["judge_score,none"] is None
    judge = first.results["lawbench"]["judge"]
    assert (judge["computed"], judge["failed"], judge["unparsed"]) == (4, 0, 2)  # 2 asks + 2 repair turns
    assert judge["tokens_in"] > 0 and judge["tokens_out"] > 0  # transformers serve reports usage
    again = run().results["lawbench"]
    assert (again["judge"]["computed"], again["judge"]["from_cache"]) == (0, 4)  # no new judge call
    assert again["requests"]["computed"] == 0
