"""Tiny from-scratch models and the synthetic corpus they are trained on."""
