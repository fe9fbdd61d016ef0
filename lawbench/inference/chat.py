"""``lawbench chat``: talk to a model in the terminal, or ask it once.

    lawbench chat --model out/sft                                   # interactive, tokens streamed
    lawbench chat --model out/sft --message "盗窃罪的量刑标准是什么？"   # one answer on stdout, then exit
    echo "..." | lawbench chat --model out/sft                      # standard input, when it is not a terminal
    lawbench chat --model out/sft --case data/lawshift/term_up/original.json:3 --compare Qwen/Qwen2.5-7B-Instruct
    lawbench chat --backend api --base-url http://127.0.0.1:8000/v1 --model NAME

Interactive commands: ``/reset`` (forget the conversation), ``/save FILE`` (the transcript as JSON),
``/quit`` (or Ctrl-D). ``--case FILE[:INDEX]`` sends a LawShift-format case with evaluation's own prompt
and prints the answer as evaluation's parser reads it (charge, term). ``--compare M2`` asks a second model
(same backend flags) the same thing and prints both answers, one after the other.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import DataError, LawbenchError
from lawbench.models.resolve import ModelOptions
from lawbench.utils.dataclass_cli import option

HELP = "commands: /reset (new conversation), /save FILE (transcript as JSON), /quit (or Ctrl-D)"


@dataclass
class ChatConfig:
    """``lawbench chat``'s own flags (the model's are :class:`ModelOptions`)."""

    model: ModelOptions
    system: str | None = option(None, group="chat", help="system message opening the conversation")
    message: str | None = option(None, group="chat", help="answer this one message on stdout and exit")
    case: str | None = option(None, group="chat", metavar="FILE[:INDEX]",
                              help="LawShift-format case file (a JSON list) and record index (default 0): "
                                   "evaluation's prompt, and the parsed charge and term")
    compare: str | None = option(None, group="chat", metavar="M2",
                                 help="a second model asked the same thing (same backend flags)")
    gen_kwargs: str | None = option(None, group="chat",
                                    help="e.g. max_gen_toks=256,temperature=0.7 (default: greedy, 256 tokens)")
    rag: str | None = option(None, group="retrieval", metavar="DIR",
                             help="statute index (lawbench rag index): each message gets the provisions retrieved "
                                  "for it, and the ones used are shown (on standard error)")
    rag_k: int = option(5, group="retrieval", help="provisions retrieved per message")
    rag_min_score: float | None = option(None, group="retrieval",
                                         help="add no provision scoring below this (the retriever's score)")
    rag_retriever: str | None = option(None, group="retrieval", choices=("bm25", "dense", "hybrid"),
                                       help="ranking (default: hybrid when the index has vectors, else bm25)")


def load_case(spec: str) -> tuple[dict, list[dict]]:
    """``FILE[:INDEX]`` → (record, evaluation's chat for it); the articles come from ``articles_*.json`` beside it."""
    from lawbench.tasks.lawshift.data import case_messages, validate_records
    from lawbench.utils.io import read_json_strict

    path_text, _, index_text = spec.rpartition(":") if spec.rpartition(":")[2].isdigit() else (spec, "", "0")
    path, index = Path(path_text), int(index_text)
    records = validate_records(read_json_strict(path), path)
    if not 0 <= index < len(records):
        raise DataError(f"{path}: no record {index} (the file holds {len(records)})")
    side = "poisoned" if path.stem == "poisoned" else "original"
    articles_path = path.with_name(f"articles_{side}.json")
    articles = read_json_strict(articles_path) if articles_path.is_file() else {}
    if not isinstance(articles, dict):
        raise DataError(f"{articles_path}: expected a JSON object mapping article ids to text")
    return records[index], case_messages(records[index], articles)


def describe_answer(text: str, record: dict | None) -> str:
    """Evaluation's reading of an answer (and, for a case, what the labels say).

    >>> describe_answer("<answer>盗窃 | 6</answer>", {"charge": "盗窃", "prison_time": 6})
    'parsed: charge 盗窃, term 6 months (labels: 盗窃, 6 months)'
    """
    from lawbench.metrics import parse_judgment

    judgment = parse_judgment(text)

    def term(value) -> str:
        return "death or life (XT)" if value == "XT" or (isinstance(value, int) and value >= 10000) else \
            f"{value} months"

    if not judgment.parsed:
        line = "parsed: no answer the evaluation parser accepts"
    elif judgment.not_guilty:
        line = "parsed: not guilty (不违规)"
    else:
        line = f"parsed: charge {judgment.charge or '?'}, term {term(judgment.term) if judgment.term else '?'}"
    if record is not None:
        line += f" (labels: {record['charge']}, {term(record['prison_time'])})"
    return line


class Conversation:
    """One model's side of the chat: its engine and its history."""

    def __init__(self, engine, system: str | None):
        self.engine, self.system = engine, system
        self.history: list[dict] = []
        self.reset()

    def reset(self) -> None:
        self.history = [{"role": "system", "content": self.system}] if self.system else []

    def ask(self, content: str | list[dict], gen, out) -> str:
        """Stream the reply to ``out`` and keep both turns; ``content`` may be a whole chat (a case)."""
        turns = content if isinstance(content, list) else [{"role": "user", "content": content}]
        if isinstance(content, list):  # a whole chat (a case, with evaluation's system prompt) starts afresh
            self.history = []
        pieces = []
        for piece in self.engine.stream(self.history + turns, gen):
            pieces.append(piece)
            out.write(piece)
            out.flush()
        reply = "".join(pieces)
        self.history += [*turns, {"role": "assistant", "content": reply}]
        return reply


def _open(options: ModelOptions):
    from lawbench.inference.engines import open_engine

    return open_engine(options)


def with_retrieval(rag, text: str, notes) -> str:
    """The message with the provisions retrieved for it (``--rag``); the ones used are named on ``notes``."""
    if rag is None:
        return text
    from lawbench.rag.context import describe_hits

    content, hits = rag.augment(text)
    notes.write(describe_hits(hits) + "\n")
    notes.flush()
    return content


def run_chat(config: ChatConfig, stdin=None, stdout=None, notes=None) -> int:
    from lawbench.inference.engines import parse_gen_kwargs

    stdin, stdout, notes = stdin or sys.stdin, stdout or sys.stdout, notes or sys.stderr
    gen = parse_gen_kwargs(config.gen_kwargs)
    record, case_chat = load_case(config.case) if config.case else (None, None)
    message = config.message
    if message is None and case_chat is None and not stdin.isatty():
        message = stdin.read().strip()  # `echo question | lawbench chat --model M`
        if not message:
            raise LawbenchError("standard input is empty; pass --message TEXT or run in a terminal")
    rag = None
    if config.rag:
        from lawbench.rag.context import ProvisionRetriever

        rag = ProvisionRetriever(config.rag, config.rag_k, config.rag_min_score, config.rag_retriever)
    if message is not None:
        message = with_retrieval(rag, message, notes)
    models = [config.model]
    if config.compare:
        models.append(dataclasses.replace(config.model, model=config.compare, base_model=None))
    chats = [Conversation(_open(options), config.system) for options in models]
    if message is not None or case_chat is not None:
        for conversation in chats:
            if len(chats) > 1:
                stdout.write(f"[{conversation.engine.name}]\n")
            reply = conversation.ask(case_chat or message, gen, stdout)
            stdout.write("\n")
            if case_chat is not None:
                stdout.write(describe_answer(reply, record) + "\n")
        stdout.flush()
        if message is not None or not stdin.isatty():
            return 0
    return interactive(chats, gen, stdin, stdout, rag=rag, notes=notes)


def interactive(chats: list[Conversation], gen, stdin, stdout, rag=None, notes=None) -> int:
    """The read-answer loop; replies stream as they are generated."""
    names = " and ".join(c.engine.name for c in chats)
    stdout.write(f"chatting with {names}; {HELP}\n")
    while True:
        stdout.write(">>> ")
        stdout.flush()
        line = stdin.readline()
        if not line:  # Ctrl-D
            stdout.write("\n")
            return 0
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            return 0
        if text == "/reset":
            for conversation in chats:
                conversation.reset()
            stdout.write("conversation reset\n")
            continue
        if text.startswith("/save"):
            stdout.write(save_transcript(chats, text[len("/save"):].strip()) + "\n")
            continue
        if text.startswith("/"):
            stdout.write(f"unknown command {text.split()[0]}; {HELP}\n")
            continue
        text = with_retrieval(rag, text, notes or stdout)
        for conversation in chats:
            if len(chats) > 1:
                stdout.write(f"[{conversation.engine.name}]\n")
            conversation.ask(text, gen, stdout)
            stdout.write("\n")


def save_transcript(chats: list[Conversation], path: str) -> str:
    from lawbench.utils.io import atomic_write_json

    if not path:
        return "usage: /save FILE"
    payload = [{"model": c.engine.name, "messages": c.history} for c in chats]
    atomic_write_json(path, payload[0] if len(payload) == 1 else payload)
    return f"transcript saved to {path}"
