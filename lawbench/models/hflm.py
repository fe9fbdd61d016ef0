"""lm-eval's ``HFLM`` with one change: a chat template that rejects the system role keeps the
instructions.

lm-eval puts a task's instructions (its ``description``) in a system message. When a template
refuses system messages (Gemma, some Mistral versions), lm-eval drops the system message and with it
the answer format; here the instructions are moved to the front of the first user message instead.
"""

from __future__ import annotations

import logging

import jinja2
from lm_eval.models.huggingface import HFLM

log = logging.getLogger(__name__)


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


class LawbenchHFLM(HFLM):
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
