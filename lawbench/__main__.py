"""``python -m lawbench`` (also what ``accelerate launch -m lawbench`` runs)."""

from lawbench.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
