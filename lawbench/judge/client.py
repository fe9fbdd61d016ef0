"""The judge's client: any OpenAI-compatible chat endpoint, cached, concurrent, retried and counted.

A judge is a model behind ``/v1/chat/completions``: ``lawbench serve`` (vLLM or transformers), a
``vllm serve`` of a large model, or a hosted API. Its key is read from the environment variable named by
``--judge-api-key-env`` (default ``LAWBENCH_JUDGE_API_KEY``, else ``OPENAI_API_KEY``) and is never
written anywhere. Replies are stored as they come in a :class:`lawbench.cache.RequestCache` (JSON in
SQLite, one file per judge model and decoding setting), so a rerun makes no new judge calls and an
interrupted one resumes. The ``openai`` client retries connection errors, 408/409/429 and 5xx with
exponential backoff (honouring ``Retry-After``); a request still refused after that is counted as failed,
never fatal, and an unreachable server is a one-line error (what finished is cached).

Example (with a server on 127.0.0.1:8000)::

    options = JudgeOptions(judge_base_url="http://127.0.0.1:8000/v1", judge_model="judge")
    client = JudgeClient(options, cache_path="runs/x/cache/judge.db")
    replies = client.complete([[{"role": "user", "content": "..."}]])
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from lawbench.errors import LawbenchError, ModelError, first_line
from lawbench.utils.dataclass_cli import option

log = logging.getLogger(__name__)

JUDGE_TIMEOUT_S = 300.0
JUDGE_RETRIES = 4  # the openai client's own retries: exponential backoff with jitter from 0.5 s
FALLBACK_KEY_ENV = "OPENAI_API_KEY"


@dataclass
class JudgeOptions:
    """Flags that pick and drive the judge (shared by ``lawbench eval``, ``judge pairwise`` and the site)."""

    judge_base_url: str | None = option(
        None, group="judge", help="OpenAI-compatible endpoint of the judge, e.g. http://127.0.0.1:8000/v1 "
        "(lawbench serve, vllm serve, a hosted API); adds judge_score / judge_parse_rate to judged tasks")
    judge_model: str | None = option(None, group="judge", help="the judge's model name on that endpoint")
    judge_rubric: str = option("disc", group="judge",
                               help="disc (1-5 accuracy/completeness/clarity), legal10 (1-10, reference = 8) "
                               "or a rubric YAML file (see docs/judge.md)")
    judge_concurrency: int = option(4, group="judge", help="judge requests in flight at once")
    judge_max_tokens: int = option(512, group="judge", help="longest judge reply, in tokens")
    judge_repeats: int = option(
        20, group="judge", help="items per task judged a second time for the self-consistency figure (0: none)")
    judge_api_key_env: str = option(
        "LAWBENCH_JUDGE_API_KEY", group="judge",
        help=f"environment variable holding the judge's API key (else ${FALLBACK_KEY_ENV}); never written")

    def __post_init__(self):
        if bool(self.judge_base_url) != bool(self.judge_model):
            raise LawbenchError("--judge-base-url and --judge-model go together (the endpoint and its model name)")
        if self.judge_concurrency < 1:
            raise LawbenchError("--judge-concurrency must be at least 1")
        if self.judge_max_tokens < 16:
            raise LawbenchError("--judge-max-tokens must be at least 16 (a JSON judgment needs room)")
        if self.judge_repeats < 0:
            raise LawbenchError("--judge-repeats must be 0 or more")
        if self.enabled:  # a bad rubric file fails here, before any model is loaded
            from lawbench.judge.rubric import load_rubric

            load_rubric(self.judge_rubric)

    @property
    def enabled(self) -> bool:
        return bool(self.judge_base_url)

    def api_key(self) -> str:
        return os.environ.get(self.judge_api_key_env) or os.environ.get(FALLBACK_KEY_ENV) or "EMPTY"


@dataclass
class Counts:
    """What the manifest's ``lawbench.judge`` reports about the calls."""

    computed: int = 0  # calls that reached the judge
    from_cache: int = 0
    failed: int = 0  # refused after the client's retries (counted, never fatal)
    tokens_in: int = 0  # as the server reports them (0 when it reports none)
    tokens_out: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class JudgeClient:
    options: JudgeOptions
    cache_path: str | Path | None = None
    counts: Counts = field(default_factory=Counts)

    def __post_init__(self):
        from openai import OpenAI

        from lawbench.cache import RequestCache, prompt_salt
        from lawbench.inference.engines import api_root

        self.base_url = api_root(self.options.judge_base_url or "")
        self.client = OpenAI(base_url=self.base_url, api_key=self.options.api_key(), timeout=JUDGE_TIMEOUT_S,
                             max_retries=JUDGE_RETRIES)
        # The judge's identity and decoding settings salt every key: another judge never reuses these replies.
        salt = prompt_salt(judge_model=self.options.judge_model, max_tokens=self.options.judge_max_tokens,
                           temperature=0.0)
        self.cache = RequestCache(self.cache_path, salt) if self.cache_path else None

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

    def complete(self, conversations: list[list[dict]], *, variant: int = 0, desc: str = "judge") -> list[dict | None]:
        """The reply to each conversation (``{"text", "tokens_in", "tokens_out"}``), ``None`` where refused.

        ``variant`` > 0 asks the same conversation again as a separate request (the self-consistency repeat).
        """
        from concurrent.futures import ThreadPoolExecutor, as_completed

        from tqdm.auto import tqdm

        keys = [(self.options.judge_model, messages, variant) for messages in conversations]
        replies: list[dict | None] = [self.cache.get("judge", key) if self.cache else None for key in keys]
        self.counts.from_cache += sum(r is not None for r in replies)
        missing = [i for i, r in enumerate(replies) if r is None]
        if not missing:
            return replies
        pool = ThreadPoolExecutor(max_workers=self.options.judge_concurrency)
        try:
            futures = {pool.submit(self._call, conversations[i]): i for i in missing}
            for future in tqdm(as_completed(futures), total=len(futures), desc=desc, leave=False,
                               disable=len(futures) < 8):
                i = futures[future]
                reply = future.result()  # an unreachable server raises here; what finished is cached
                replies[i] = reply
                if reply is None:
                    self.counts.failed += 1
                    continue
                self.counts.computed += 1
                self.counts.tokens_in += reply["tokens_in"]
                self.counts.tokens_out += reply["tokens_out"]
                if self.cache is not None:
                    self.cache.put("judge", keys[i], reply)  # stored at once: a killed run resumes here
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return replies

    def _call(self, messages: list[dict]) -> dict | None:
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.options.judge_model, messages=messages, temperature=0.0,
                max_tokens=self.options.judge_max_tokens)
        except openai.APIConnectionError as err:
            raise ModelError(f"judge: cannot reach {self.base_url} ({first_line(err)}); is the server running? "
                             "Re-run to resume: finished judgments are cached") from None
        except openai.APIStatusError as err:
            log.warning("judge: %s refused a request (%s): %s", self.base_url, err.status_code,
                        first_line(str(err.message), 200))
            return None
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content if choice is not None and choice.message is not None else None) or ""
        usage = response.usage
        return {"text": text, "tokens_in": int(getattr(usage, "prompt_tokens", 0) or 0),
                "tokens_out": int(getattr(usage, "completion_tokens", 0) or 0)}
