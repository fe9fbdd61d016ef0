"""Using a trained model: ``lawbench chat``, ``lawbench generate``, ``lawbench model merge`` and ``lawbench serve``.

    lawbench chat --model out/sft                       # interactive, streamed, the model's chat template
    lawbench generate --model out/sft --input q.jsonl --output a.jsonl
    lawbench model merge --adapter out/sft --out out/sft-merged
    lawbench serve --model out/sft-merged --port 8000   # OpenAI-compatible: transformers serve or vLLM

Models are resolved and loaded by :mod:`lawbench.models` exactly as ``lawbench eval`` does (checkpoint,
adapter, hub id, ``--backend api``); LawShift prompts and the answer parser are evaluation's own.
:mod:`.engines` holds the three ways to generate (transformers in process, vLLM, an OpenAI-compatible
server); the other modules are one command each.
"""
