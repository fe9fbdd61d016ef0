"""Three ways to generate, behind one small interface, for ``lawbench chat`` and ``lawbench generate``.

    lawbench chat --model out/sft                                          # HFEngine (transformers, in process)
    lawbench generate --model out/sft --backend vllm --input q.jsonl --output a.jsonl          # VLLMEngine
    lawbench chat --backend api --base-url http://127.0.0.1:8000/v1 --model NAME               # APIEngine

A *request* is a chat (``[{"role", "content"}, ...]``) or a text prompt. With a chat template (the default,
as in ``lawbench eval``) a text prompt is one user turn; with ``--no-chat-template`` it is sent as it is
(``/v1/completions`` on a server). Every engine has ``name``, ``stream(request, gen)`` (text pieces as they
come) and ``generate(requests, gen)`` (one batch, answers in order). Models load through
:mod:`lawbench.models.load`, so adapters, dtype, device and errors behave as in evaluation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lawbench.errors import LawbenchError, ModelError, first_line
from lawbench.models.resolve import ModelOptions, ResolvedModel

API_TIMEOUT_S = 600.0  # one request to a server; generous for long answers on a CPU
_GEN_KEYS = {"max_gen_toks": "max_new_tokens", "max_new_tokens": "max_new_tokens", "max_tokens": "max_new_tokens",
             "temperature": "temperature", "top_p": "top_p", "top_k": "top_k",
             "repetition_penalty": "repetition_penalty", "seed": "seed", "do_sample": "do_sample"}


@dataclass
class GenSettings:
    """Decoding settings shared by every engine (greedy unless ``temperature > 0``)."""

    max_new_tokens: int = 256  # tokens per answer; LawShift answers need ~20, reasoning models far more
    temperature: float = 0.0  # 0: greedy, as evaluation
    top_p: float = 1.0
    top_k: int | None = None
    repetition_penalty: float | None = None
    seed: int | None = None

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0

    def hf_kwargs(self) -> dict:
        kwargs: dict = {"max_new_tokens": self.max_new_tokens, "do_sample": not self.greedy}
        if not self.greedy:
            kwargs.update(temperature=self.temperature, top_p=self.top_p)
            if self.top_k:
                kwargs["top_k"] = self.top_k
        if self.repetition_penalty:
            kwargs["repetition_penalty"] = self.repetition_penalty
        return kwargs

    def openai_kwargs(self) -> dict:
        kwargs: dict = {"max_tokens": self.max_new_tokens, "temperature": max(self.temperature, 0.0)}
        if not self.greedy:
            kwargs["top_p"] = self.top_p
        if self.seed is not None:
            kwargs["seed"] = self.seed
        return kwargs

    def vllm_kwargs(self) -> dict:
        """vLLM ``SamplingParams`` arguments (unit-tested: vLLM needs a GPU)."""
        kwargs: dict = {"max_tokens": self.max_new_tokens, "temperature": max(self.temperature, 0.0),
                        "top_p": self.top_p if not self.greedy else 1.0, "top_k": self.top_k or -1}
        if self.repetition_penalty:
            kwargs["repetition_penalty"] = self.repetition_penalty
        if self.seed is not None:
            kwargs["seed"] = self.seed
        return kwargs


def parse_gen_kwargs(text: str | None) -> GenSettings:
    """``--gen-kwargs`` in lm-eval's syntax (``max_gen_toks=64,temperature=0``) as :class:`GenSettings`.

    >>> parse_gen_kwargs("max_gen_toks=64,temperature=0.7,top_p=0.9")
    GenSettings(max_new_tokens=64, temperature=0.7, top_p=0.9, top_k=None, repetition_penalty=None, seed=None)
    >>> parse_gen_kwargs("do_sample=false").greedy
    True
    """
    settings = GenSettings()
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in _GEN_KEYS:
            raise LawbenchError(f"--gen-kwargs: '{item}' is not one of {', '.join(sorted(_GEN_KEYS))}=VALUE "
                                "(example: max_gen_toks=64,temperature=0)")
        field = _GEN_KEYS[key]
        try:
            if field == "do_sample":
                if value.strip().lower() in ("false", "0", "no"):
                    settings.temperature = 0.0
                elif settings.greedy:
                    settings.temperature = 1.0
            elif field in ("max_new_tokens", "top_k", "seed"):
                setattr(settings, field, int(value))
            else:
                setattr(settings, field, float(value))
        except ValueError:
            raise LawbenchError(f"--gen-kwargs: {key} takes a number, got {value!r}") from None
    if settings.max_new_tokens < 1:
        raise LawbenchError("--gen-kwargs: max_gen_toks must be at least 1")
    return settings


def as_chat(request: list[dict] | str) -> list[dict]:
    return [{"role": "user", "content": request}] if isinstance(request, str) else request


# --------------------------------------------------------------------------- transformers, in process
class HFEngine:
    """The model loaded by :func:`lawbench.models.load.load_hf_model` (LoRA merged, prompt-learning kept)."""

    def __init__(self, options: ModelOptions, resolved: ResolvedModel):
        from lawbench.models.load import default_batch_size, load_hf_model, pick_device_dtype

        device, dtype = pick_device_dtype(options)
        self.model, self.tokenizer = load_hf_model(options, resolved, device, dtype)
        self.device, self.name = device, resolved.display_name
        size = default_batch_size(options, device)
        self.batch_size = size if isinstance(size, int) else 8  # lm-eval's "auto" probing is not needed here
        self.tokenizer.padding_side = "left"  # batched generation continues every prompt from its last token
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.use_template = options.chat_template and bool(getattr(self.tokenizer, "chat_template", None))

    def render(self, request: list[dict] | str) -> str:
        """The prompt text: the chat template applied as evaluation applies it, or the raw text."""
        if not self.use_template:
            return request if isinstance(request, str) else "\n\n".join(m["content"] for m in request)
        import jinja2

        from lawbench.models.hflm import merge_system_into_user

        chat = as_chat(request)
        try:
            return self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        except jinja2.exceptions.TemplateError:  # a template without a system role: as lawbench eval does
            return self.tokenizer.apply_chat_template(merge_system_into_user(chat), tokenize=False,
                                                      add_generation_prompt=True)

    def _inputs(self, requests: list) -> dict:
        texts = [self.render(r) for r in requests]
        # a rendered template already holds its special tokens; raw text gets the tokenizer's own
        encoded = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=not self.use_template)
        return {k: v.to(self.model.device) for k, v in encoded.items()}

    def _generate_kwargs(self, gen: GenSettings) -> dict:
        import torch

        if gen.seed is not None:
            torch.manual_seed(gen.seed)
        return {**gen.hf_kwargs(), "pad_token_id": self.tokenizer.pad_token_id}

    def generate(self, requests: list, gen: GenSettings) -> list[str]:
        import torch

        inputs = self._inputs(requests)
        with torch.no_grad():
            out = self.model.generate(**inputs, **self._generate_kwargs(gen))
        width = inputs["input_ids"].shape[1]
        return [self.tokenizer.decode(row[width:], skip_special_tokens=True) for row in out]

    def stream(self, request, gen: GenSettings) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True,
                                        timeout=API_TIMEOUT_S)
        kwargs = {**self._inputs([request]), **self._generate_kwargs(gen), "streamer": streamer}
        failure: list[BaseException] = []

        def run():
            try:
                self.model.generate(**kwargs)
            except BaseException as err:  # reported below; the streamer must still end
                failure.append(err)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        yield from streamer
        thread.join()
        if failure:
            raise ModelError(f"generation failed: {first_line(failure[0])}")


# --------------------------------------------------------------------------- an OpenAI-compatible server
def api_root(base_url: str) -> str:
    """``http://h:8000/v1/chat/completions`` → ``http://h:8000/v1`` (what the ``openai`` client wants).

    >>> api_root("http://127.0.0.1:8000/v1/chat/completions/"), api_root("http://127.0.0.1:8000/v1")
    ('http://127.0.0.1:8000/v1', 'http://127.0.0.1:8000/v1')
    """
    url = base_url.rstrip("/")
    for tail in ("/chat/completions", "/completions"):
        if url.endswith(tail):
            return url[: -len(tail)]
    return url


class APIEngine:
    """A model behind an OpenAI-compatible server (``lawbench serve``, vLLM, a hosted API); key: $OPENAI_API_KEY."""

    def __init__(self, options: ModelOptions):
        from openai import OpenAI

        self.base_url = api_root(options.base_url or "")
        self.name, self.use_template = options.model, options.chat_template
        self.batch_size = max(1, options.num_concurrent)
        self.client = OpenAI(base_url=self.base_url, api_key=os.environ.get("OPENAI_API_KEY") or "EMPTY",
                             timeout=API_TIMEOUT_S, max_retries=2)

    def _create(self, request, gen: GenSettings, stream: bool):
        import openai

        try:
            if isinstance(request, str) and not self.use_template:
                return self.client.completions.create(model=self.name, prompt=request, stream=stream,
                                                      **gen.openai_kwargs())
            return self.client.chat.completions.create(model=self.name, messages=as_chat(request), stream=stream,
                                                       **gen.openai_kwargs())
        except openai.APIConnectionError as err:
            raise ModelError(f"cannot reach {self.base_url}: {first_line(err)}; is the server running?") from None
        except openai.APIStatusError as err:
            raise ModelError(f"{self.base_url} refused the request ({err.status_code}): "
                             f"{first_line(str(err.message), 300)}") from None

    @staticmethod
    def _text(choice) -> str:
        message = getattr(choice, "message", None) or getattr(choice, "delta", None)
        return (message.content if message is not None else getattr(choice, "text", None)) or ""

    def generate(self, requests: list, gen: GenSettings) -> list[str]:
        from concurrent.futures import ThreadPoolExecutor

        def one(request):
            return self._text(self._create(request, gen, stream=False).choices[0])

        with ThreadPoolExecutor(max_workers=self.batch_size) as pool:
            return list(pool.map(one, requests))

    def stream(self, request, gen: GenSettings) -> Iterator[str]:
        for chunk in self._create(request, gen, stream=True):
            if chunk.choices:
                piece = self._text(chunk.choices[0])
                if piece:
                    yield piece


# --------------------------------------------------------------------------- vLLM (CUDA)
def vllm_engine_args(options: ModelOptions, resolved: ResolvedModel, dtype: str) -> dict:
    """``vllm.LLM`` arguments for these options; a LoRA adapter is served as a LoRA module (unit-tested)."""
    from lawbench.models.load import tokenizer_source, vllm_max_lora_rank

    args: dict = {"model": resolved.path, "dtype": dtype, "trust_remote_code": options.trust_remote_code}
    if options.revision:
        args["revision"] = options.revision
    if options.max_length:
        args["max_model_len"] = options.max_length
    if options.load_in_4bit:
        args["quantization"] = "bitsandbytes"
    if resolved.adapter:
        args.update(enable_lora=True, max_lora_rank=vllm_max_lora_rank(resolved.adapter))
        if tokenizer_source(resolved) == resolved.adapter:
            args["tokenizer"] = resolved.adapter
    return args


def require_vllm(what: str = "--backend vllm") -> None:
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        raise ModelError(f"{what} needs vLLM (Linux + CUDA): pip install 'lawbench[vllm]'; "
                         "or use --backend hf")
    from lawbench.models.load import require_cuda

    require_cuda(f"{what} needs a CUDA GPU and none is visible; use --backend hf")


class VLLMEngine:
    """vLLM's offline ``LLM`` (prompts rendered with the same chat template as the hf engine)."""

    def __init__(self, options: ModelOptions, resolved: ResolvedModel):
        from lawbench.models.load import choose_dtype, is_prompt_learning

        require_vllm()
        if is_prompt_learning(resolved.adapter):
            raise ModelError(f"vLLM serves LoRA adapters only; {resolved.adapter} is a prompt-learning adapter: "
                             "use --backend hf")
        from vllm import LLM

        self.llm = LLM(**vllm_engine_args(options, resolved, choose_dtype(options.dtype, "cuda")))
        self.lora = None
        if resolved.adapter:
            from vllm.lora.request import LoRARequest

            self.lora = LoRARequest(Path(resolved.adapter).name, 1, resolved.adapter)
        self.tokenizer = self.llm.get_tokenizer()
        self.name, self.batch_size = resolved.display_name, 256  # vLLM schedules its own batches
        self.use_template = options.chat_template and bool(getattr(self.tokenizer, "chat_template", None))

    render = HFEngine.render

    def generate(self, requests: list, gen: GenSettings) -> list[str]:
        from vllm import SamplingParams

        outputs = self.llm.generate([self.render(r) for r in requests], SamplingParams(**gen.vllm_kwargs()),
                                    lora_request=self.lora, use_tqdm=False)
        return [out.outputs[0].text for out in outputs]

    def stream(self, request, gen: GenSettings) -> Iterator[str]:
        yield self.generate([request], gen)[0]


def open_engine(options: ModelOptions):
    """The engine for ``options.backend`` (hf, vllm or api), with the model resolved as ``lawbench eval`` does."""
    from lawbench.models.resolve import resolve_model

    resolved = resolve_model(options)
    if resolved.kind == "api":
        return APIEngine(options)
    if options.backend == "vllm":
        return VLLMEngine(options, resolved)
    return HFEngine(options, resolved)
