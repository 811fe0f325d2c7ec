"""The transfer search space: the allowed transfer genes for one backbone, with its operators.

It plays the part `SearchSpace` plays for autoencoders (sample, validate, repair, bounds), and it
carries its own variation operators (`mutate`, `crossover`) and a flat parameter view
(`parameters`, `from_values`, `values_of`) that differential evolution and Optuna read, so every
strategy runs on it unchanged.

The ranges adapt to the backbone: `included` never exceeds its depth (in cut points), and `frozen`
never exceeds `included`. In the flat view, `frozen` is a share in [0, 1] of the range `included`
allows, so a vector or an Optuna trial always decodes to a valid genome.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from archsearch.core.params import Range, Spec
from archsearch.core.space.nodes import Group
from archsearch.transfer.genome import TransferGenome

# The genes after `included` and `frozen`, each with a spec of its own.
FREE_GENES = ("learning_rate", "dropout", "head_units", "batch_size")
FROZEN_SHARE = "frozen_share"


@dataclass(frozen=True)
class TransferSpace:
    """Transfer genes for a backbone of `depth` cut points. Build one with `load_transfer_space`."""

    name: str
    depth: int
    included: Range  # integer, within 1..depth
    frozen_low: int
    frozen_high: int | None  # None: up to `included`
    specs: dict[str, Spec]  # one per FREE_GENES entry
    source: str = "<memory>"
    description: str = ""
    document: dict[str, Any] = field(default_factory=dict, compare=False)

    # ---- the constraint frozen <= included ---------------------------------------------------
    def frozen_range(self, included: int) -> tuple[int, int]:
        """The frozen counts allowed with `included` cut points kept."""
        high = included if self.frozen_high is None else min(self.frozen_high, included)
        return min(self.frozen_low, high), high

    def _frozen_from_share(self, share: float, included: int) -> int:
        low, high = self.frozen_range(included)
        return low + int(round(min(max(share, 0.0), 1.0) * (high - low)))

    @property
    def default(self) -> TransferGenome | None:
        """What a person tries first, where the space allows it: the whole backbone fine-tuned, nothing
        frozen, Keras's defaults (every strategy's first candidate)."""
        genome = TransferGenome(included=self.depth, frozen=0)
        return genome if not self.problems(genome) else None

    # ---- sampling, validation, repair --------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> TransferGenome:
        included = self.included.sample(rng)
        low, high = self.frozen_range(included)
        return TransferGenome(included=included, frozen=int(rng.integers(low, high + 1)),
                              **{name: self.specs[name].sample(rng) for name in FREE_GENES})

    def problems(self, genome: TransferGenome) -> list[str]:
        found = []
        if not self.included.contains(genome.included):
            found.append(f"included: {genome.included} outside {self.included.low}..{self.included.high} "
                         f"(the backbone has {self.depth} cut points)")
        low, high = self.frozen_range(genome.included)
        if not low <= genome.frozen <= high:
            found.append(f"frozen: {genome.frozen} outside {low}..{high} (never more than included)")
        found += [f"{name}: {getattr(genome, name)!r} outside {spec}"
                  for name, spec in self.specs.items() if not spec.contains(getattr(genome, name))]
        return found

    def is_valid(self, genome: TransferGenome) -> bool:
        return not self.problems(genome)

    def repair(self, genome: TransferGenome, rng: np.random.Generator) -> TransferGenome:
        included = self.included.nearest(genome.included, rng)
        low, high = self.frozen_range(included)
        return TransferGenome(included=included, frozen=min(max(genome.frozen, low), high),
                              **{name: self.specs[name].nearest(getattr(genome, name), rng) for name in FREE_GENES})

    # ---- variation ---------------------------------------------------------------------------
    def mutate(self, genome: TransferGenome, rng: np.random.Generator) -> tuple[TransferGenome, str]:
        """One gene takes a nearby value (a Gaussian step, or a neighbouring choice)."""
        names = [n for n in ("included", "frozen", *FREE_GENES) if not self._fixed(n, genome)]
        if not names:
            return genome, "mutate_none"
        name = names[int(rng.integers(len(names)))]
        if name == "included":
            mutant = replace(genome, included=self.included.perturb(genome.included, rng))
        elif name == "frozen":
            low, high = self.frozen_range(genome.included)
            mutant = replace(genome, frozen=Range(low, high, integer=True).perturb(genome.frozen, rng))
        else:
            mutant = replace(genome, **{name: self.specs[name].perturb(getattr(genome, name), rng)})
        return self.repair(mutant, rng), f"mutate_{name}"

    def _fixed(self, name: str, genome: TransferGenome) -> bool:
        if name == "included":
            return self.included.fixed
        if name == "frozen":
            low, high = self.frozen_range(genome.included)
            return low == high
        return self.specs[name].fixed

    def crossover(self, first: TransferGenome, second: TransferGenome,
                  rng: np.random.Generator) -> tuple[TransferGenome, TransferGenome]:
        """Uniform crossover: each gene swaps with probability 1/2 (`included` and `frozen` travel
        together, so a child keeps a parent's cut-and-freeze pair); children are repaired."""
        a, b = first.to_dict(), second.to_dict()
        groups = [("included", "frozen")] + [(name,) for name in FREE_GENES]
        for group in groups:
            if rng.random() < 0.5:
                for name in group:
                    a[name], b[name] = b[name], a[name]
        return (self.repair(TransferGenome.from_dict(a), rng), self.repair(TransferGenome.from_dict(b), rng))

    # ---- the flat view (differential evolution, Optuna) --------------------------------------
    def parameters(self) -> Group:
        """Every gene as an independent parameter; `frozen` as a share of its allowed range."""
        return Group({"included": self.included, FROZEN_SHARE: Range(0.0, 1.0), **self.specs})

    def from_values(self, values: dict[str, Any]) -> TransferGenome:
        included = int(values["included"])
        return TransferGenome(included=included, frozen=self._frozen_from_share(values[FROZEN_SHARE], included),
                              **{name: values[name] for name in FREE_GENES})

    def values_of(self, genome: TransferGenome) -> dict[str, Any]:
        low, high = self.frozen_range(genome.included)
        share = 0.5 if high == low else (genome.frozen - low) / (high - low)
        return {"included": genome.included, FROZEN_SHARE: share,
                **{name: getattr(genome, name) for name in FREE_GENES}}

    def bounds(self) -> dict[str, Any]:
        return {"depth": self.depth, "included": self.included,
                "frozen": (self.frozen_low, "included" if self.frozen_high is None else self.frozen_high),
                **self.specs}
