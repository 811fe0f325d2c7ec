"""`Space`: a search space built from parameter specs, with everything a strategy asks of a space.

    space = Space({
        "layers": Repeated(OneOf(conv=Group(filters=Choice([16, 32, 64]), kernel=Choice([3, 5])),
                                 pool=Group()), min_length=1, max_length=4),
        "optimizer": Choice(["adam", "sgd"]),
        "momentum": When(Float(0.0, 0.99), optimizer="sgd"),
        "learning_rate": Float(1e-4, 1e-2, log=True, default=1e-3),
    })

Sampling, the default candidate, validation, repair, mutation, crossover (`variation`), the vector
and define-by-run encodings (`encodings`) and the JSON of a candidate (`Params`) all follow from the
specs. A task whose space has rules the specs cannot say (the autoencoder's down-sampling limit)
subclasses `Space` and replaces `repair` (and any other piece); the encodings read `parameters()`,
`values_of` and `from_values`, which a space of its own genome type provides as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from archsearch.core.space import variation
from archsearch.core.space.document import space_document
from archsearch.core.space.nodes import Group, Node, When
from archsearch.core.space.params import Params


class Space:
    """Candidates (`Params`) of a tree of parameter specs (`nodes`)."""

    def __init__(self, parameters: Mapping[str, Node | When] | Group, *, name: str = "space",
                 default: Mapping[str, Any] | None = None, description: str = "") -> None:
        self.root = parameters if isinstance(parameters, Group) else Group(parameters)
        self.name, self.description = name, description
        first = Params(default if default is not None else self.root.default())
        found = self.problems(first)
        if found:
            raise ValueError(f"{name}: the default candidate is not in the space: {'; '.join(found)}")
        self._default = first

    @property
    def default(self) -> Params:
        """The first candidate of every strategy (each spec's default, or the one given)."""
        return self._default

    def sample(self, rng: np.random.Generator) -> Params:
        return self.repair(Params(self.root.sample(rng)), rng)

    def problems(self, genome: Params) -> list[str]:
        """Every way `genome` breaks the space's rules; empty when it is valid."""
        return self.root.problems(genome.plain, "")

    def is_valid(self, genome: Params) -> bool:
        return not self.problems(genome)

    def repair(self, genome: Params, rng: np.random.Generator) -> Params:
        """The nearest valid candidate: values clipped or snapped, lengths mended, conditions settled."""
        return Params(self.root.repair(genome.plain, rng))

    def mutate(self, genome: Params, rng: np.random.Generator) -> tuple[Params, str]:
        values, operator = variation.mutate(self.root, genome.plain, rng)
        return self.repair(Params(values), rng), operator

    def crossover(self, first: Params, second: Params, rng: np.random.Generator) -> tuple[Params, Params]:
        a, b = variation.crossover(self.root, first.plain, second.plain, rng)
        return self.repair(Params(a), rng), self.repair(Params(b), rng)

    # ---- what the encodings read (a space of its own genome type provides the same three) --------
    def parameters(self) -> Group:
        return self.root

    def values_of(self, genome: Params) -> dict[str, Any]:
        return genome.plain

    def from_values(self, values: Mapping[str, Any]) -> Params:
        return Params(values)

    def document(self) -> dict[str, Any]:
        """The space as JSON, as a run directory records it (`space.json`; a resumed run must match it)."""
        return space_document(self.root)
