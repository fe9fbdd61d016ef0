"""lawbench: an evaluation harness for legal LLMs (Chinese law first), with training recipes.

Public API (imported lazily, so ``import lawbench`` and ``lawbench --help`` stay fast)::

    from lawbench import run_eval, EvalConfig, ModelOptions
    from lawbench.metrics import Score, parse_judgment, score_case, score_judgment
"""

__version__ = "0.1.0"

_LAZY = {
    "run_eval": ("lawbench.evaluate", "run_eval"),
    "EvalConfig": ("lawbench.evaluate", "EvalConfig"),
    "ModelOptions": ("lawbench.models.resolve", "ModelOptions"),
    "parse_judgment": ("lawbench.metrics.judgment", "parse_judgment"),
    "score_case": ("lawbench.metrics.lawshift", "score_case"),
    "score_judgment": ("lawbench.metrics.lawshift", "score_judgment"),
    "Score": ("lawbench.metrics.score", "Score"),
    "LawbenchError": ("lawbench.errors", "LawbenchError"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'lawbench' has no attribute {name!r}")
