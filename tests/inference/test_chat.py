"""``lawbench chat``: the interactive loop through a pseudo-terminal, one-shot answers, LawShift cases, --compare."""

from __future__ import annotations

import io
import json

import pytest

from lawbench.errors import DataError
from lawbench.inference import chat
from lawbench.inference.chat import ChatConfig, run_chat
from lawbench.models.resolve import ModelOptions
from lawbench.tasks.lawshift.data import case_messages
from tests.support.inference import Terminal
from tests.support.sources import write_lawshift


def test_interactive_chat_in_a_terminal(tiny_model, tmp_path):
    transcript = tmp_path / "chat.json"
    term = Terminal("chat", "--model", str(tiny_model), "--system", "你是一名法官。", "--gen-kwargs", "max_gen_toks=4")
    assert "/reset" in term.expect(">>> ", timeout=180)  # the greeting lists the commands
    term.send("盗窃罪如何量刑？")
    term.expect(">>> ")
    term.send("/frobnicate")
    assert "unknown command /frobnicate" in term.expect(">>> ")
    term.send(f"/save {transcript}")
    assert f"transcript saved to {transcript}" in term.expect(">>> ")
    term.send("/reset")
    assert "conversation reset" in term.expect(">>> ")
    term.send("/quit")
    assert term.wait() == 0
    saved = json.loads(transcript.read_text(encoding="utf-8"))
    assert [m["role"] for m in saved["messages"]] == ["system", "user", "assistant"]
    assert saved["messages"][1]["content"] == "盗窃罪如何量刑？" and saved["model"] == str(tiny_model.resolve())


class StubEngine:
    """Answers every request with a fixed text, streamed in two pieces; keeps what it was sent."""

    def __init__(self, name: str, answer: str):
        self.name, self.answer, self.sent = name, answer, []

    def stream(self, request, gen):
        self.sent.append(request)
        yield from (self.answer[:5], self.answer[5:])


class NotATerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture()
def stubs(monkeypatch):
    made = {}

    def open_stub(options):
        made[options.model] = StubEngine(options.model, "<answer>容留他人吸毒罪 | 7</answer>" if options.model == "a"
                                         else "<answer>不违规</answer>")
        return made[options.model]

    monkeypatch.setattr(chat, "_open", open_stub)
    return made


def test_a_case_gets_evaluations_prompt_and_parser_and_compare_asks_both(stubs, tmp_path):
    cases = write_lawshift(tmp_path, {"term_up": 2}) / "term_up" / "original.json"
    out = io.StringIO()
    config = ChatConfig(model=ModelOptions("a"), case=f"{cases}:1", compare="b")
    assert run_chat(config, stdin=NotATerminal(""), stdout=out) == 0
    records = json.loads(cases.read_text(encoding="utf-8"))
    articles = json.loads(cases.with_name("articles_original.json").read_text(encoding="utf-8"))
    assert stubs["a"].sent == stubs["b"].sent == [case_messages(records[1], articles)]
    text = out.getvalue()
    assert "[a]\n<answer>容留他人吸毒罪 | 7</answer>\nparsed: charge 容留他人吸毒, term 7 months (labels:" in text
    assert "[b]\n<answer>不违规</answer>\nparsed: not guilty (不违规)" in text


def test_message_from_standard_input_when_it_is_not_a_terminal(stubs):
    out = io.StringIO()
    assert run_chat(ChatConfig(model=ModelOptions("a"), system="S"), stdin=NotATerminal("你好\n"), stdout=out) == 0
    assert out.getvalue() == "<answer>容留他人吸毒罪 | 7</answer>\n"
    assert stubs["a"].sent == [[{"role": "system", "content": "S"}, {"role": "user", "content": "你好"}]]


def test_bad_chat_input_is_one_line(stubs, tmp_path):
    cases = write_lawshift(tmp_path, {"term_up": 2}) / "term_up" / "original.json"
    with pytest.raises(DataError, match=r"original.json: no record 5 \(the file holds 2\)"):
        run_chat(ChatConfig(model=ModelOptions("a"), case=f"{cases}:5"), stdin=NotATerminal(""))
    with pytest.raises(Exception, match="standard input is empty"):
        run_chat(ChatConfig(model=ModelOptions("a")), stdin=NotATerminal("  \n"))
