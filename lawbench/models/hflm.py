"""lm-eval's ``HFLM`` with the changes lawbench needs.

1. A chat template that rejects the system role keeps the instructions. lm-eval puts a task's
   instructions (its ``description``) in a system message; when a template refuses system messages
   (Gemma, some Mistral versions) lm-eval drops that message and with it the answer format. Here the
   instructions move to the front of the first user message instead.
2. Prompts longer than the context keep their instructions: lm-eval cuts a too-long prompt from the
   left, which drops the system prompt and the answer format first; here the middle goes (the case
   text), keeping the first ``1 - KEEP_TAIL`` of the budget (instructions, the start of the case) and
   the last ``KEEP_TAIL`` (the question and the answer prompt). ``truncated_requests`` counts them and
   the run's manifest reports the count.
3. Prefix caching for one-at-a-time generation. A task's prompts share a long beginning (the system
   prompt, the instructions, the few-shot examples); once two consecutive prompts share at least
   ``PREFIX_MIN_TOKENS`` tokens, their common prefix is run through the model once and its key/value
   cache is copied into every later generation that starts with it, so only the rest of each prompt
   is prefilled. Greedy outputs are unchanged (checked by ``bench/eval_speed.py`` and a test); batches
   of several prompts are left-padded, which shifts the prefix, so they generate as usual.
4. Token ids are memoised per prompt, so evaluating several adapters of one base on the same loaded
   model (:mod:`lawbench.models.adapters`) tokenises each prompt once.
"""

from __future__ import annotations

import copy
import logging

import jinja2
import torch
from lm_eval.models.huggingface import HFLM

log = logging.getLogger(__name__)
PREFIX_MIN_TOKENS = 32  # shorter shared beginnings are not worth a cache copy
KEEP_TAIL = 0.25  # share of a truncated prompt's budget kept from its end (question, answer prompt)


def middle_truncate(ids: list[int], limit: int) -> list[int]:
    """Keep the beginning and the end of ``ids`` within ``limit`` tokens, cutting the middle.

    >>> middle_truncate(list(range(10)), 8)
    [0, 1, 2, 3, 4, 5, 8, 9]
    """
    if len(ids) <= limit:
        return ids
    tail = max(1, int(limit * KEEP_TAIL))
    return ids[: limit - tail] + ids[len(ids) - tail :]


def merge_system_into_user(chat_history: list[dict[str, str]]) -> list[dict[str, str]]:
    """Fold system messages into the first user message (``system + "\\n\\n" + user``)."""
    system = "\n\n".join(m["content"] for m in chat_history if m["role"] == "system")
    rest = [dict(m) for m in chat_history if m["role"] != "system"]
    if not system:
        return rest
    for message in rest:
        if message["role"] == "user":
            message["content"] = f"{system}\n\n{message['content']}"
            return rest
    return [{"role": "user", "content": system}, *rest]


def common_prefix_length(a: list[int], b: list[int]) -> int:
    """
    >>> common_prefix_length([1, 2, 3, 4], [1, 2, 5])
    2
    """
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class LawbenchHFLM(HFLM):
    def __init__(self, *args, prefix_cache: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.prefix_cache = prefix_cache
        self._encoded: dict[tuple, tuple[int, ...]] = {}
        self.reset_prefix_cache()

    def reset_prefix_cache(self) -> None:
        """Forget cached keys/values and the per-run counters (the weights changed, or a new run starts).

        Token ids stay memoised: the tokenizer is the same, so a second run on this model (another
        adapter of a shared base) does not tokenise its prompts again.
        """
        self._previous: list[int] = []
        self._prefix: list[int] = []
        self._prefix_kv = None
        self.prefix_hits = 0
        self.truncated_requests = 0

    def tok_encode(self, string: str, add_special_tokens: bool | None = None, left_truncate_len: int | None = None,
                   **kwargs) -> list[int]:
        if kwargs:
            return super().tok_encode(string, add_special_tokens, left_truncate_len, **kwargs)
        key = (string, add_special_tokens, left_truncate_len)
        found = self._encoded.get(key)
        if found is None:
            found = self._encoded[key] = tuple(super().tok_encode(string, add_special_tokens, left_truncate_len))
        return list(found)  # callers may modify their list

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        kwargs = dict(tokenize=False, add_generation_prompt=add_generation_prompt,
                      continue_final_message=not add_generation_prompt, **self.chat_template_args)
        try:
            return self.tokenizer.apply_chat_template(chat_history, **kwargs)
        except jinja2.exceptions.TemplateError:
            if not any(m["role"] == "system" for m in chat_history):
                raise
            log.warning("the chat template rejects system messages; task instructions go into the user message")
            return self.tokenizer.apply_chat_template(merge_system_into_user(chat_history), **kwargs)

    def tok_batch_encode(self, strings, padding_side="left", left_truncate_len=None, truncation=False):
        encoded, mask = super().tok_batch_encode(strings, padding_side=padding_side, truncation=truncation)
        if not left_truncate_len or encoded.shape[1] <= left_truncate_len:
            return encoded, mask
        rows = [ids[m.bool()].tolist() for ids, m in zip(encoded, mask)]
        self.truncated_requests += sum(len(row) > left_truncate_len for row in rows)
        rows = [middle_truncate(row, left_truncate_len) for row in rows]
        width = max(map(len, rows))
        pad = self.tokenizer.pad_token_id
        left = padding_side == "left"
        ids = torch.tensor([[pad] * (width - len(r)) + r if left else r + [pad] * (width - len(r)) for r in rows])
        attention = torch.tensor([[0] * (width - len(r)) + [1] * len(r) if left
                                  else [1] * len(r) + [0] * (width - len(r))
                                  for r in rows])
        return ids, attention

    # ------------------------------------------------------------------ prefix cache
    def _cached_prefix(self, tokens: list[int]):
        """A copy of the key/value cache of this prompt's shared beginning, or ``None``."""
        if self._prefix and len(tokens) > len(self._prefix) and tokens[: len(self._prefix)] == self._prefix:
            return copy.deepcopy(self._prefix_kv)
        shared = common_prefix_length(tokens, self._previous)
        self._previous = tokens
        if shared < PREFIX_MIN_TOKENS or shared >= len(tokens):
            return None
        from transformers import DynamicCache

        cache = DynamicCache(config=self.model.config)
        with torch.no_grad():
            self.model(input_ids=torch.tensor([tokens[:shared]], device=self.device), past_key_values=cache,
                       use_cache=True)
        self._prefix, self._prefix_kv = tokens[:shared], cache
        log.debug("prefix cache: %d shared tokens", shared)
        return copy.deepcopy(cache)

    def _model_generate(self, context, max_length, stop, **generation_kwargs):
        usable = self.prefix_cache and context.shape[0] == 1 and self.backend == "causal"
        cache = self._cached_prefix(context[0].tolist()) if usable else None
        if cache is None:
            return super()._model_generate(context, max_length, stop, **generation_kwargs)
        self.prefix_hits += 1
        return super()._model_generate(context, max_length, stop, past_key_values=cache, **generation_kwargs)
