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

from bisect import bisect_left

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
        last = index == len(messages) - 1  # then "through" is the whole conversation, already rendered
        through = full if last else _render(tokenizer, messages[: index + 1], generation_prompt=False)
        if not (full.startswith(through) and through.startswith(before)):
            raise DataError(
                "the chat template does not render a conversation's beginning as a prefix of the whole "
                "(it rewrites earlier turns), so assistant tokens cannot be located; use single-turn data"
            )
        spans.append((len(before), len(through)))
    return full, spans


def _assistant_mask(offsets: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[int]:
    """1 on every token that begins inside one of ``spans`` (character ranges), 0 elsewhere."""
    begins = [begin for begin, _ in offsets]
    if any(later < earlier for earlier, later in zip(begins, begins[1:])):  # not seen with fast tokenizers
        return [int(any(start <= begin < end for start, end in spans)) for begin in begins]
    mask = [0] * len(begins)
    for start, end in spans:  # the tokens beginning in [start, end) are one run of the sorted begins
        low, high = bisect_left(begins, start), bisect_left(begins, end)
        mask[low:high] = [1] * (high - low)
    return mask


def tokenize_conversations(tokenizer, chats: list[list[dict]], max_length: int | None = None) -> dict[str, list]:
    """Columns ``input_ids`` and ``assistant_masks`` of many chats (one batched call of the fast tokenizer)."""
    rendered = [assistant_spans(tokenizer, messages) for messages in chats]
    encoded = tokenizer([text for text, _ in rendered], add_special_tokens=False, return_offsets_mapping=True)
    columns: dict[str, list] = {"input_ids": [], "assistant_masks": []}
    for ids, offsets, (_, spans) in zip(encoded["input_ids"], encoded["offset_mapping"], rendered):
        mask = _assistant_mask(offsets, spans)
        columns["input_ids"].append(ids[:max_length] if max_length is not None else ids)
        columns["assistant_masks"].append(mask[:max_length] if max_length is not None else mask)
    return columns


def tokenize_conversation(tokenizer, messages: list[dict], max_length: int | None = None) -> dict:
    """``{"input_ids", "assistant_masks"}``: 1 on every token of an assistant turn, 0 elsewhere."""
    columns = tokenize_conversations(tokenizer, [messages], max_length)
    return {name: values[0] for name, values in columns.items()}


def tokenize_prompt(tokenizer, messages: list[dict]) -> str:
    """The text a model is given to answer ``messages`` (which end with a user turn)."""
    return _render(tokenizer, messages, generation_prompt=True)


def _tokenize_batch(batch: dict, tokenizer, max_length: int | None) -> dict:
    columns = tokenize_conversations(tokenizer, batch["messages"], max_length)
    columns["answered"] = [any(mask) for mask in columns["assistant_masks"]]
    return columns


def tokenized_dataset(tokenizer, chats: list[list[dict]], max_length: int | None, extra: dict | None = None,
                      num_proc: int | None = None):
    """A ``datasets.Dataset`` of ``input_ids`` + ``assistant_masks`` (+ extra columns such as weights).

    Used by sft and rs-sft; a chat whose answer is cut off entirely by ``max_length`` is an error, since it
    would train on nothing. ``num_proc`` (SFTConfig's ``dataset_num_proc``) tokenizes in that many
    processes with a batched ``datasets.map``; the result is the same.
    """
    import datasets

    if num_proc is not None and num_proc > 1 and len(chats) > 1:
        dataset = datasets.Dataset.from_dict({"messages": chats, **(extra or {})}).map(
            _tokenize_batch, batched=True, num_proc=num_proc, remove_columns=["messages"],
            fn_kwargs={"tokenizer": tokenizer, "max_length": max_length}, desc="tokenizing chats")
        answered = dataset["answered"]
        dataset = dataset.remove_columns("answered")
    else:
        columns = tokenize_conversations(tokenizer, chats, max_length)
        answered = [any(mask) for mask in columns["assistant_masks"]]
        dataset = datasets.Dataset.from_dict({**columns, **(extra or {})})
    empty = [i for i, ok in enumerate(answered) if not ok]
    if empty:
        raise DataError(f"{len(empty)} record(s) have no answer tokens left after truncation to "
                        f"max_length={max_length} (first: record {empty[0]}); raise --max_length")
    return dataset
