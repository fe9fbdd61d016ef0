"""Small helpers shared across lawbench (file I/O, hashing)."""
