"""Variation operators: pure functions of (genomes, space, rng) that return new, valid genomes.

Each returns fresh genomes (inputs are frozen and never changed) repaired by the space, so every
offspring passes `space.problems`. They take an explicit numpy Generator: no global `random` state.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes

if TYPE_CHECKING:  # the space calls these operators (`SearchSpace.mutate`), so no import at run time
    from archsearch.autoencoder.space import SearchSpace

MUTATIONS = ("add_layer", "remove_layer", "modify_layer", "modify_training")


def two_point_crossover(first: Genome, second: Genome, space: SearchSpace,
                        rng: np.random.Generator) -> tuple[Genome, Genome]:
    """Swaps a segment of each parent's layer sequence; segments may differ in length.

    Each parent gets its own two cut points, so children can be longer or shorter than either
    parent (the variable-length form of two-point crossover). Latent size and training genes are
    exchanged gene by gene with probability 1/2.
    """
    enc_a, enc_b = _swap_segments(first.encoder, second.encoder, rng)
    dec_a, dec_b = first.decoder, second.decoder
    if first.decoder is not None and second.decoder is not None:
        dec_a, dec_b = _swap_segments(first.decoder, second.decoder, rng)
    latent_a, latent_b = _maybe_swap(first.latent_size, second.latent_size, rng)
    train_a, train_b = {}, {}
    for name in ("optimizer", "learning_rate", "batch_size", "loss"):
        train_a[name], train_b[name] = _maybe_swap(getattr(first.training, name), getattr(second.training, name), rng)
    child_a = Genome(enc_a, latent_a, TrainingGenes(**train_a), dec_a)
    child_b = Genome(enc_b, latent_b, TrainingGenes(**train_b), dec_b)
    return space.repair(child_a, rng), space.repair(child_b, rng)


def mutate(genome: Genome, space: SearchSpace, rng: np.random.Generator,
           kind: str | None = None) -> tuple[Genome, str]:
    """One mutation (chosen at random among those possible unless `kind` is given).

    Returns the mutant and the operator's name, e.g. ``"add_layer"``, for the run record.
    """
    sequences = ["encoder"] + (["decoder"] if genome.decoder is not None and space.decoder is not None else [])
    which = sequences[int(rng.integers(len(sequences)))]
    genes = list(getattr(genome, which))
    rules = space.sequence_rules(which)
    possible = [m for m in MUTATIONS
                if not (m == "add_layer" and len(genes) >= rules.max_layers)
                and not (m == "remove_layer" and len(genes) <= rules.min_layers)
                and not (m == "modify_layer" and not genes)]
    kind = kind if kind in possible else possible[int(rng.integers(len(possible)))]
    if kind == "modify_training":
        mutant = _modify_training(genome, space, rng)
    else:
        if kind == "add_layer":
            new_kind = rules.kinds[int(rng.integers(len(rules.kinds)))]
            genes.insert(int(rng.integers(len(genes) + 1)), space.sample_gene(new_kind, rng))
        elif kind == "remove_layer":
            del genes[int(rng.integers(len(genes)))]
        else:
            i = int(rng.integers(len(genes)))
            genes[i] = _modify_gene(genes[i], space, rng)
        mutant = replace(genome, **{which: tuple(genes)})
    return space.repair(mutant, rng), kind


def _modify_gene(gene: LayerGene, space: SearchSpace, rng: np.random.Generator) -> LayerGene:
    specs = {name: spec for name, spec in space.layer_specs.get(gene.kind, {}).items() if not spec.fixed}
    if not specs:  # a pool or batch-norm gene has nothing to tune: swap its kind instead
        return space.sample_gene("batchnorm" if gene.kind == "pool" else "pool", rng)
    name = list(specs)[int(rng.integers(len(specs)))]
    return replace(gene, **{name: specs[name].perturb(getattr(gene, name), rng)})


def _modify_training(genome: Genome, space: SearchSpace, rng: np.random.Generator) -> Genome:
    names = ["latent_size"] * (not space.latent_size.fixed) + [n for n, s in space.training.items() if not s.fixed]
    if not names:
        return genome
    name = names[int(rng.integers(len(names)))]
    if name == "latent_size":
        return replace(genome, latent_size=space.latent_size.perturb(genome.latent_size, rng))
    value = space.training[name].perturb(getattr(genome.training, name), rng)
    return replace(genome, training=replace(genome.training, **{name: value}))


def _swap_segments(a: tuple[LayerGene, ...], b: tuple[LayerGene, ...],
                   rng: np.random.Generator) -> tuple[tuple[LayerGene, ...], tuple[LayerGene, ...]]:
    i, j = sorted(rng.integers(0, len(a) + 1, size=2))
    k, m = sorted(rng.integers(0, len(b) + 1, size=2))
    return a[:i] + b[k:m] + a[j:], b[:k] + a[i:j] + b[m:]


def _maybe_swap(x, y, rng: np.random.Generator):
    return (y, x) if rng.random() < 0.5 else (x, y)
