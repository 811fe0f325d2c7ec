"""Differential evolution on genomes, through a fixed-length vector encoding.

DE needs vectors of one length; our genomes have variable depth. Every genome is therefore read as a
point of the unit cube [0, 1]^D, laid out as follows (one coordinate each, in this order):

1. for the encoder, then for an evolved decoder (mirrored spaces have none):
   - the **depth** gene: u in [0, 1] picks min_layers..max_layers in equal slices;
   - **max_layers slots**, each holding a **kind** coordinate (picks one of the sequence's allowed
     kinds in equal slices) followed by one coordinate per (kind, field) pair of the space, e.g.
     conv.filters, conv.kernel, conv.stride, conv.activation, dense.units, dense.activation,
     dropout.rate. Only the first `depth` slots become layers, and a slot reads only the fields of
     its own kind: the other coordinates are carried along unused (recessive genes that a later
     mutant may switch on);
2. the **latent size**;
3. each **training gene** (optimizer, learning rate, batch size, loss).

A choice (categorical, or a numeric grid in declared order) maps u to the value of index
floor(u * n), clipped to n - 1; a range maps u linearly, or on a log scale when the range is `log`,
and integer ranges are rounded. Decoded genomes then pass through `SearchSpace.repair`, which restores
the layer-order and down-sampling rules.

Each generation, for every target vector x_i of the population: mutant = a + F (b - c) from three other
distinct members (DE/rand/1), clipped to the cube; binomial crossover takes each coordinate from the
mutant with probability CR (and at least one always); the trial is decoded and evaluated; greedy
replacement keeps it in place of x_i when its fitness is no worse.

A space of independent parameters (the transfer space's `parameters()`) needs none of the slots: it is
read as one coordinate per parameter (`FlatEncoding`), mapped as above.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.autoencoder.space import LAYER_FIELDS, TRAINING_FIELDS, SearchSpace, SequenceRules
from archsearch.core.params import Range, Spec
from archsearch.core.records import WORST_FITNESS, EvaluationRecord
from archsearch.strategies.base import DEFAULT_GENES, Proposal, Strategy, register


def _decode_value(spec: Spec, u: float) -> Any:
    if isinstance(spec, Range):
        return spec.from_unit(u)
    return spec.values[_slice(u, len(spec.values))]


def _encode_value(spec: Spec, value: Any) -> float:
    if isinstance(spec, Range):
        return spec.to_unit(value)
    return (spec.values.index(value) + 0.5) / len(spec.values) if value in spec.values else 0.5


def _slice(u: float, n: int) -> int:
    """Which of n equal slices of [0, 1] holds u."""
    return min(int(u * n), n - 1) if u > 0 else 0


@dataclass(frozen=True)
class VectorEncoding:
    """The fixed-length layout of one space (see the module docstring)."""

    space: SearchSpace

    @property
    def slot_fields(self) -> list[tuple[str, str]]:
        return [(kind, name) for kind in LAYER_FIELDS for name in self.space.layer_specs.get(kind, {})]

    def _sequences(self) -> list[SequenceRules]:
        return [self.space.encoder] + ([self.space.decoder] if self.space.decoder is not None else [])

    @property
    def length(self) -> int:
        slot = 1 + len(self.slot_fields)
        return sum(1 + rules.max_layers * slot for rules in self._sequences()) + 1 + len(TRAINING_FIELDS)

    def decode(self, vector: np.ndarray) -> Genome:
        """The genome a point of the cube stands for (before repair)."""
        values = iter(np.clip(vector, 0.0, 1.0).tolist())
        sequences = [self._decode_sequence(rules, values) for rules in self._sequences()]
        latent = _decode_value(self.space.latent_size, next(values))
        training = TrainingGenes(**{name: _decode_value(self.space.training[name], next(values))
                                    for name in TRAINING_FIELDS})
        return Genome(sequences[0], latent, training, sequences[1] if len(sequences) > 1 else None)

    def _decode_sequence(self, rules: SequenceRules, values) -> tuple[LayerGene, ...]:
        span = rules.max_layers - rules.min_layers + 1
        depth = rules.min_layers + _slice(next(values), span)
        genes = []
        for slot in range(rules.max_layers):
            kind = rules.kinds[_slice(next(values), len(rules.kinds))]
            fields = {(k, name): next(values) for k, name in self.slot_fields}
            if slot < depth:
                specs = self.space.layer_specs.get(kind, {})
                genes.append(LayerGene(kind, **{name: _decode_value(spec, fields[(kind, name)])
                                                for name, spec in specs.items()}))
        return tuple(genes)

    def encode(self, genome: Genome, rng: np.random.Generator) -> np.ndarray:
        """A point that decodes to `genome`; coordinates the genome does not use are drawn at random."""
        vector = []
        sequences = [genome.encoder] + ([genome.decoder or ()] if self.space.decoder is not None else [])
        for rules, genes in zip(self._sequences(), sequences):
            span = rules.max_layers - rules.min_layers + 1
            vector.append((min(max(len(genes) - rules.min_layers, 0), span - 1) + 0.5) / span)
            for slot in range(rules.max_layers):
                gene = genes[slot] if slot < len(genes) else None
                kind_u = (rules.kinds.index(gene.kind) + 0.5) / len(rules.kinds) if gene else float(rng.random())
                vector.append(kind_u)
                for kind, name in self.slot_fields:
                    used = gene is not None and gene.kind == kind
                    spec = self.space.layer_specs[kind][name]
                    vector.append(_encode_value(spec, getattr(gene, name)) if used else float(rng.random()))
        vector.append(_encode_value(self.space.latent_size, genome.latent_size))
        vector += [_encode_value(self.space.training[name], getattr(genome.training, name))
                   for name in TRAINING_FIELDS]
        return np.asarray(vector)


@dataclass(frozen=True)
class FlatEncoding:
    """One coordinate per parameter of a space that declares independent ones (`parameters()`,
    `from_parameters`, `parameters_of`): the transfer space."""

    space: Any

    @property
    def length(self) -> int:
        return len(self.space.parameters())

    def decode(self, vector: np.ndarray) -> Any:
        specs = self.space.parameters()
        units = np.clip(vector, 0.0, 1.0).tolist()
        return self.space.from_parameters({name: _decode_value(spec, u)
                                           for (name, spec), u in zip(specs.items(), units)})

    def encode(self, genome: Any, rng: np.random.Generator) -> np.ndarray:
        values = self.space.parameters_of(genome)
        return np.asarray([_encode_value(spec, values[name]) for name, spec in self.space.parameters().items()])


def vector_encoding(space: Any) -> VectorEncoding | FlatEncoding:
    """The layered encoding for autoencoder spaces, the flat one for spaces of independent parameters."""
    return VectorEncoding(space) if isinstance(space, SearchSpace) else FlatEncoding(space)


@register
class DifferentialEvolution(Strategy):
    name = "de"
    min_population = 4  # a target and three other members for a + F (b - c)

    def __init__(self, space: SearchSpace, rng: np.random.Generator, population: int = 8,
                 weight: float = 0.5, crossover_rate: float = 0.9) -> None:
        super().__init__(space, rng, population)
        self.weight, self.crossover_rate = weight, crossover_rate
        self.encoding = vector_encoding(space)
        self.vectors: list[np.ndarray] = []  # the population, as points of the cube
        self.fitness: list[float] = []
        self.indices: list[int] = []  # journal index of each member's evaluation (for lineage)
        self.keys: list[str] = []  # each member's genome key
        # The vectors of the batches asked and not yet told, in order (an asynchronous run may ask the next
        # batch before the last is told; each is then judged against the population as it is at its `tell`).
        self.trials: list[np.ndarray] = []

    def ask(self) -> list[Proposal]:
        make = (lambda i: self._random_member) if not self.vectors else (lambda i: lambda: self._trial(i))
        proposals, trials = [], []
        for i in range(self.population_size):
            proposals.append(self.novel(make(i)))
            trials.append(self._last_vector)  # `novel` returns the last proposal made
        self.trials += trials
        return proposals

    def _propose(self, vector: np.ndarray, parents: tuple[int, ...], operator: str) -> Proposal:
        self._last_vector = vector
        return Proposal(self.space.repair(self.encoding.decode(vector), self.rng), parents, operator)

    def _random_member(self) -> Proposal:
        """The space's default genes first, then random points of the cube."""
        default = self.unseen_default()
        if default is not None:
            return self._propose(self.encoding.encode(default, self.rng), (), DEFAULT_GENES)
        return self._propose(self.rng.random(self.encoding.length), (), "random")

    operator = "de/rand/1/bin"

    def _trial(self, target: int) -> Proposal:
        others = [i for i in range(len(self.vectors)) if i != target]
        a, b, c = self._donors(others)
        mutant = np.clip(self.vectors[a] + self.weight * (self.vectors[b] - self.vectors[c]), 0.0, 1.0)
        take = self.rng.random(self.encoding.length) < self.crossover_rate
        take[int(self.rng.integers(self.encoding.length))] = True
        trial = np.where(take, mutant, self.vectors[target])
        parents = tuple(self.indices[i] for i in (target, a, b, c))
        return self._propose(trial, parents, self.operator)

    def _donors(self, others: list[int]) -> Sequence[int]:
        """The members a, b, c of the mutant a + F (b - c): three distinct others, at random."""
        return self.rng.choice(others, size=3, replace=False)

    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        trials, self.trials = self.trials[: len(records)], self.trials[len(records):]
        if not self.vectors:
            self.vectors = list(trials)
            self.fitness = [r.result.fitness for r in records]
            self.indices = [r.index for r in records]
            self.keys = [r.genome.key for r in records]
            return
        for i, (trial, record) in enumerate(zip(trials, records)):
            if record.result.fitness <= self.fitness[i]:  # greedy replacement
                self.vectors[i], self.fitness[i], self.indices[i] = trial, record.result.fitness, record.index
                self.keys[i] = record.genome.key

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "vectors": [v.tolist() for v in self.vectors],
                "fitness": [_json_float(f) for f in self.fitness], "indices": list(self.indices),
                "keys": list(self.keys),
                "trials": [v.tolist() for v in self.trials]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.vectors = [np.asarray(v) for v in state["vectors"]]
        self.fitness = [WORST_FITNESS if f is None else f for f in state["fitness"]]
        self.indices = list(state["indices"])
        self.keys = list(state["keys"])
        self.trials = [np.asarray(v) for v in state["trials"]]


def _json_float(value: float) -> float | None:
    """JSON has no infinity: the worst fitness is saved as null."""
    return None if value == WORST_FITNESS else value



@register
class MultiFidelityDE(DifferentialEvolution):
    """Differential evolution steered by promotions, in the manner of DEHB (Awad et al. 2021).

    DEHB runs one DE population per budget, and the mutants of a larger budget are built from the parent
    pool that the smaller budget promoted. Under archsearch's engine every candidate starts at the lowest
    rung and ASHA promotes the best, so the promoted candidates are that pool: each trial's base vector
    `a` is drawn from the `pool` most-trained members (highest rung, then lowest fitness), `b` and `c`
    from the whole population (DE/pool/1/bin). The target and greedy replacement stay at the lowest rung,
    where every candidate has a result. Without fidelities it is DE/best-of-pool/1/bin."""

    name = "dehb"

    def __init__(self, space: SearchSpace, rng: np.random.Generator, population: int = 8,
                 weight: float = 0.5, crossover_rate: float = 0.9, pool: int = 3) -> None:
        super().__init__(space, rng, population, weight, crossover_rate)
        self.pool = pool
        self.trained: dict[str, tuple[int, float]] = {}  # genome key -> (highest rung, fitness there)

    def learn(self, records: Sequence[EvaluationRecord]) -> None:
        for record in records:
            self.trained.setdefault(record.genome.key, (record.rung or 0, record.result.fitness))
        super().learn(records)

    def tell_rung(self, record: EvaluationRecord) -> None:
        if (record.rung or 0) >= self.trained.get(record.genome.key, (-1, 0.0))[0]:
            self.trained[record.genome.key] = (record.rung or 0, record.result.fitness)

    operator = "de/pool/1/bin"

    def _donors(self, others: list[int]) -> Sequence[int]:
        """`a` from the most-trained members (highest rung, then lowest fitness), `b`, `c` from the rest."""
        def rank(member: int) -> tuple:
            rung, fitness = self.trained.get(self.keys[member], (0, self.fitness[member]))
            return (-rung, fitness, member)

        pool = sorted(others, key=rank)[: self.pool]
        a = pool[int(self.rng.integers(len(pool)))]
        b, c = self.rng.choice([i for i in others if i != a], size=2, replace=False)
        return a, b, c

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "trained": {k: [r, _json_float(f)] for k, (r, f) in self.trained.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.trained = {k: (r, WORST_FITNESS if f is None else f) for k, (r, f) in state["trained"].items()}
