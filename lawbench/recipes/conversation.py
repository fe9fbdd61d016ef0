"""Tokenize chat conversations with a mask over the assistant's tokens, for any chat template.

TRL can mask assistant tokens only for templates that carry ``{% generation %}`` markers (or ones it
knows how to patch). lawbench instead renders the conversation prefix by prefix: the text the template
adds between "everything before assistant turn i, with the generation prompt" and "everything up to
and including turn i" is that turn's answer (with its end-of-turn token, so the model learns to
stop). Characters map to tokens through the fast tokenizer's offsets. This works for every template
that renders a conversation's prefix as a prefix of the whole, which is what chat inference relies on;
templates that rewrite earlier turns (e.g. dropping old ``<think>`` blocks) are rejected with an error.

Example (with a model from ``lawbench model init --out tiny``)::

    tok = AutoTokenizer.from_pretrained("tiny")
    ids = tokenize_conversation(tok, [{"role": "user", "content": "问"}, {"role": "assistant", "content": "答"}])
    tok.decode([t for t, m in zip(ids["input_ids"], ids["assistant_masks"]) if m])  # '答<|im_end|>\n'
"""

from __future__ import annotations

from lawbench.errors import DataError

# For tokenizers without a chat template (base models): plain concatenation, the answer ends with EOS.
PLAIN_TEMPLATE = (
    "{%- for m in messages %}"
    "{%- if m['role'] == 'assistant' %}{{ m['content'] + eos_token }}"
    "{%- else %}{{ m['content'] + '\\n' }}{%- endif %}"
    "{%- endfor %}"
)


def _render(tokenizer, messages: list[dict], generation_prompt: bool) -> str:
    template = tokenizer.chat_template or PLAIN_TEMPLATE
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt,
                                         chat_template=template)


def assistant_spans(tokenizer, messages: list[dict]) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans of its assistant turns."""
    full = _render(tokenizer, messages, generation_prompt=False)
    spans = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:index], generation_prompt=True) if index else ""
        through = _render(tokenizer, messages[: index + 1], generation_prompt=False)
        if not (full.startswith(through) and through.startswith(before)):
            raise DataError(
                "the chat template does not render a conversation's beginning as a prefix of the whole "
                "(it rewrites earlier turns), so assistant tokens cannot be located; use single-turn data"
            )
        spans.append((len(before), len(through)))
    return full, spans


def tokenize_conversation(tokenizer, messages: list[dict], max_length: int | None = None) -> dict:
    """``{"input_ids", "assistant_masks"}``: 1 on every token of an assistant turn, 0 elsewhere."""
    text, spans = assistant_spans(tokenizer, messages)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
    mask = [int(any(start <= begin < end for start, end in spans)) for begin, _ in offsets]
    if max_length is not None:
        ids, mask = ids[:max_length], mask[:max_length]
    return {"input_ids": ids, "assistant_masks": mask}


def tokenize_prompt(tokenizer, messages: list[dict]) -> str:
    """The text a model is given to answer ``messages`` (which end with a user turn)."""
    return _render(tokenizer, messages, generation_prompt=True)


def tokenized_dataset(tokenizer, chats: list[list[dict]], max_length: int | None, extra: dict | None = None):
    """A ``datasets.Dataset`` of ``input_ids`` + ``assistant_masks`` (+ extra columns such as weights).

    Used by sft and rs-sft; a chat whose answer is cut off entirely by ``max_length`` is an error, since it
    would train on nothing.
    """
    import datasets

    rows = [tokenize_conversation(tokenizer, chat, max_length) for chat in chats]
    empty = [i for i, row in enumerate(rows) if not any(row["assistant_masks"])]
    if empty:
        raise DataError(f"{len(empty)} record(s) have no answer tokens left after truncation to "
                        f"max_length={max_length} (first: record {empty[0]}); raise --max_length")
    columns = {"input_ids": [r["input_ids"] for r in rows], "assistant_masks": [r["assistant_masks"] for r in rows]}
    return datasets.Dataset.from_dict({**columns, **(extra or {})})
