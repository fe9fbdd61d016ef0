"""Training recipes on TRL / PEFT / accelerate: ``lawbench recipe {pt,sft,rs-sft,dpo,kto,rm,ppo,grpo} ...``.

Each recipe module holds a TRL-style config class and a ``train(ctx)`` function; the shared runner
(:mod:`lawbench.recipes.runner`) parses flags, loads the model, records lineage and hands the result
to ``lawbench eval`` (``--then-eval``).
"""
