"""`lawbench demo`: the whole loop offline on a CPU (tiny model, project-written data, every stage evaluated,
site built)."""
