"""Model resolution and loading for every backend (hf, vllm, api)."""

from lawbench.models.resolve import BACKENDS, ModelOptions, ResolvedModel, resolve_model

__all__ = ["BACKENDS", "ModelOptions", "ResolvedModel", "resolve_model"]
