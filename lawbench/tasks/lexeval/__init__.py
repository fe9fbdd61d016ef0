"""LexEval lm-eval tasks (``lexeval``); see README.md in this folder."""
