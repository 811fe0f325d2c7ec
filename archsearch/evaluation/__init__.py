"""Turning genomes into results: data, the backprop evaluator, and how a batch is mapped over them."""
