"""The search space: the one object that samples, validates and repairs genomes and reports bounds.

Strategies, operators, the Optuna adapter and the builder's callers all read this object; no range is
written anywhere else. Spaces are declared in TOML files (`archsearch.autoencoder.space_file.load_space`).

Structural rules, beside every value lying in its declared range:
- the encoder has min..max layers of the allowed kinds, spatial layers (conv, pool) before any dense
  layer, and at most `max_downsampling` layers that shrink the image;
- an evolved decoder (``decoder = "evolve"``) lists its genes from the latent code outwards: dense
  layers first, then spatial ones, at most `max_upsampling` of them growing the image;
- a mirrored space (``decoder = "mirror"``) has no decoder genes: the builder mirrors the encoder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from archsearch.autoencoder import operators
from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.core.params import Choice, Spec
from archsearch.core.space.nodes import Group, OneOf, Repeated
from archsearch.core.space.space import Space

# Which gene fields each layer kind uses; the space file must give a spec for each.
LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "conv": ("filters", "kernel", "stride", "activation"),
    "pool": (),
    "batchnorm": (),
    "dropout": ("rate",),
    "dense": ("units", "activation"),
}
TRAINING_FIELDS = ("optimizer", "learning_rate", "batch_size", "loss")


@dataclass(frozen=True)
class SequenceRules:
    """Depth, kinds and resampling limit of one gene sequence (encoder or evolved decoder)."""

    min_layers: int
    max_layers: int
    kinds: tuple[str, ...]
    max_resampling: int
    dense_first: bool  # the decoder grows from the code: dense genes come before spatial ones

    def order(self, genes: list[LayerGene]) -> list[LayerGene]:
        """Stable partition: spatial genes before dense ones (encoder) or after them (decoder)."""
        if not self.dense_first:
            # Only genes after the first dense gene move; batchnorm/dropout keep their place.
            first_dense = next((i for i, g in enumerate(genes) if g.kind == "dense"), len(genes))
            head, tail = genes[:first_dense], genes[first_dense:]
            return head + [g for g in tail if g.is_spatial] + [g for g in tail if not g.is_spatial]
        last_dense = max((i for i, g in enumerate(genes) if g.kind == "dense"), default=-1)
        head, tail = genes[: last_dense + 1], genes[last_dense + 1 :]
        return [g for g in head if not g.is_spatial] + [g for g in head if g.is_spatial] + tail

    def misordered(self, genes: tuple[LayerGene, ...]) -> bool:
        return list(genes) != self.order(list(genes))


@dataclass(frozen=True)
class SearchSpace(Space):
    """A declared space of autoencoder genomes (build one with `load_space`): a `Space` whose specs
    (`parameters`) give validation, keys and the encodings DE and TPE read, and which keeps its own
    sampling, layer-wise mutation, two-point crossover and shape repair."""

    name: str
    decoder_mode: str  # "mirror" or "evolve"
    encoder: SequenceRules
    decoder: SequenceRules | None
    layer_specs: dict[str, dict[str, Spec]]
    latent_size: Spec
    training: dict[str, Spec]
    source: str = "<memory>"
    description: str = ""
    # The space's default genes (`[default]` in its file): every strategy's first candidate, so a search
    # never ends worse than this known-good start (as Keras Tuner's first trial takes every default).
    default: Genome | None = None

    # ---- sampling -------------------------------------------------------------------------------
    def sample_gene(self, kind: str, rng: np.random.Generator) -> LayerGene:
        values = {name: spec.sample(rng) for name, spec in self.layer_specs.get(kind, {}).items()}
        return LayerGene(kind=kind, **values)

    def _sample_sequence(self, rules: SequenceRules, rng: np.random.Generator) -> tuple[LayerGene, ...]:
        depth = int(rng.integers(rules.min_layers, rules.max_layers + 1))
        genes = [self.sample_gene(rules.kinds[int(rng.integers(len(rules.kinds)))], rng) for _ in range(depth)]
        return self._repair_sequence(genes, rules, rng)

    def sample_training(self, rng: np.random.Generator) -> TrainingGenes:
        return TrainingGenes(**{name: spec.sample(rng) for name, spec in self.training.items()})

    def sample(self, rng: np.random.Generator) -> Genome:
        """A random valid genome."""
        return Genome(
            encoder=self._sample_sequence(self.encoder, rng),
            latent_size=self.latent_size.sample(rng),
            training=self.sample_training(rng),
            decoder=None if self.decoder is None else self._sample_sequence(self.decoder, rng),
        )

    # ---- validation -----------------------------------------------------------------------------
    def problems(self, genome: Genome) -> list[str]:
        """Every way the genome breaks the space: its values against the specs (`parameters`: kinds,
        lengths, ranges, fields a kind does not use), then the rules beyond them: the decoder's mode, the
        order of spatial and dense layers, the resampling limit. Empty when it is valid."""
        found = self.root.problems(self.values_of(genome), "")
        if self.decoder is None and genome.decoder is not None:
            found.append("decoder: this space mirrors the encoder, so it takes no decoder genes")
        if self.decoder is not None and genome.decoder is None:
            found.append("decoder: this space evolves the decoder, but the genome has no decoder genes")
        sequences = [("encoder", genome.encoder, self.encoder), ("decoder", genome.decoder or (), self.decoder)]
        for where, genes, rules in sequences[:1 if self.decoder is None else 2]:
            if rules.misordered(genes):
                found.append(f"{where}: spatial and dense layers out of order")
            resampling = sum(1 for g in genes if g.scale > 1)
            if resampling > rules.max_resampling:
                found.append(f"{where}: {resampling} resampling layers, at most {rules.max_resampling}")
        return found

    # ---- repair ---------------------------------------------------------------------------------
    def repair(self, genome: Genome, rng: np.random.Generator) -> Genome:
        """The nearest valid genome: values clipped to their ranges, order and depth mended."""
        decoder = None
        if self.decoder is not None:
            decoder = (self._repair_sequence(list(genome.decoder), self.decoder, rng)
                       if genome.decoder is not None else self._sample_sequence(self.decoder, rng))
        training = TrainingGenes(**{name: spec.nearest(getattr(genome.training, name), rng)
                                    for name, spec in self.training.items()})
        return Genome(
            encoder=self._repair_sequence(list(genome.encoder), self.encoder, rng),
            latent_size=self.latent_size.nearest(genome.latent_size, rng),
            training=training,
            decoder=decoder,
        )

    def repair_gene(self, gene: LayerGene, rng: np.random.Generator) -> LayerGene:
        specs = self.layer_specs.get(gene.kind, {})
        values = {name: spec.nearest(getattr(gene, name), rng) if getattr(gene, name) is not None
                  else spec.sample(rng) for name, spec in specs.items()}
        return LayerGene(kind=gene.kind, **values)

    def _repair_sequence(self, genes: list[LayerGene], rules: SequenceRules,
                         rng: np.random.Generator) -> tuple[LayerGene, ...]:
        genes = [self.repair_gene(g, rng) for g in genes if g.kind in rules.kinds]
        del genes[rules.max_layers:]
        while len(genes) < rules.min_layers:
            kind = rules.kinds[int(rng.integers(len(rules.kinds)))]
            genes.insert(int(rng.integers(len(genes) + 1)), self.sample_gene(kind, rng))
        genes = rules.order(genes)
        return tuple(self._cap_resampling(genes, rules, rng))

    def _cap_resampling(self, genes: list[LayerGene], rules: SequenceRules,
                        rng: np.random.Generator) -> list[LayerGene]:
        """Undo the excess resampling layers nearest the code: pools become batch-norm, strides 1."""
        excess = sum(1 for g in genes if g.scale > 1) - rules.max_resampling
        order = range(len(genes)) if rules.dense_first else range(len(genes) - 1, -1, -1)
        for i in order:
            if excess <= 0:
                break
            if genes[i].scale > 1:
                genes[i] = (replace(genes[i], stride=1) if genes[i].kind == "conv"
                            else self.sample_gene(self._non_resampling_kind(rules), rng))
                excess -= 1
        return genes

    def _non_resampling_kind(self, rules: SequenceRules) -> str:
        for kind in ("batchnorm", "dropout", "conv", "dense"):
            if kind in rules.kinds:
                return kind
        raise AssertionError("space_file guarantees a non-resampling kind")

    # ---- variation (what the strategies call, whatever the space) -------------------------------
    def mutate(self, genome: Genome, rng: np.random.Generator) -> tuple[Genome, str]:
        """A layer added, removed or modified, or a training gene changed (`operators.mutate`)."""
        return operators.mutate(genome, self, rng)

    def crossover(self, first: Genome, second: Genome, rng: np.random.Generator) -> tuple[Genome, Genome]:
        """Two-point crossover of the variable-length layer sequences (`operators.two_point_crossover`)."""
        return operators.two_point_crossover(first, second, self, rng)

    # ---- the specs, as validation and the encodings of DE and TPE read them (`core.space.encodings`) ---
    @cached_property
    def root(self) -> Group:  # type: ignore[override]
        return self.parameters()

    def parameters(self) -> Group:
        """Each sequence a list of layers whose kind decides its fields, then the code size and the training
        genes (the rules beyond the specs, order and resampling, are `repair`'s)."""
        members: dict[str, Any] = {"encoder": self._sequence_parameters(self.encoder)}
        if self.decoder is not None:
            members["decoder"] = self._sequence_parameters(self.decoder)
        members["latent_size"] = self.latent_size
        members["training"] = Group({name: self.training[name] for name in TRAINING_FIELDS})
        return Group(members)

    def _sequence_parameters(self, rules: SequenceRules) -> Repeated:
        return Repeated(OneOf({kind: Group(self.layer_specs.get(kind, {})) for kind in rules.kinds}),
                        rules.min_layers, rules.max_layers)

    def values_of(self, genome: Genome) -> dict[str, Any]:
        values: dict[str, Any] = {"encoder": [g.to_dict() for g in genome.encoder]}
        if self.decoder is not None:
            values["decoder"] = [g.to_dict() for g in genome.decoder or ()]
        return {**values, "latent_size": genome.latent_size, "training": asdict(genome.training)}

    def from_values(self, values: dict[str, Any]) -> Genome:
        decoder = values.get("decoder")
        return Genome(encoder=tuple(LayerGene(**g) for g in values["encoder"]), latent_size=values["latent_size"],
                      training=TrainingGenes(**values["training"]),
                      decoder=None if decoder is None else tuple(LayerGene(**g) for g in decoder))

    # ---- description ----------------------------------------------------------------------------
    def sequence_rules(self, which: str) -> SequenceRules:
        rules = self.encoder if which == "encoder" else self.decoder
        assert rules is not None, "this space mirrors the encoder"
        return rules


def with_latent(space: SearchSpace, latent: int) -> SearchSpace:
    """`space` with every candidate's code size fixed at `latent` (its default genes' too); 0: as it is."""
    if not latent:
        return space
    default = None if space.default is None else replace(space.default, latent_size=latent)
    return replace(space, latent_size=Choice((latent,)), default=default)
