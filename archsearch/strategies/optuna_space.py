"""Our search space in Optuna's terms: a genome as conditional parameters, and back.

Variable depth becomes conditional parameters, as Optuna recommends for define-by-run spaces:
`encoder.depth` is suggested first, then for each layer i below it `encoder.i.kind`, then only the
fields of that kind (`encoder.i.conv.filters`, ...). The same for `decoder.*` in an evolved-decoder
space; then `latent_size` and `training.<name>`. A choice becomes a categorical parameter, a range a
float or int one (log-scaled when the range is). Every value still comes from the one `SearchSpace`.
A space of independent parameters (the transfer space) is its `parameters()`, one each.
"""

from __future__ import annotations

from typing import Any, Callable

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.autoencoder.space import TRAINING_FIELDS, SearchSpace, SequenceRules
from archsearch.core.params import Range, Spec

Suggest = Callable[[str, BaseDistribution], Any]


def distribution(spec: Spec) -> BaseDistribution:
    if isinstance(spec, Range):
        if spec.integer:
            return IntDistribution(int(spec.low), int(spec.high), log=spec.log)
        return FloatDistribution(spec.low, spec.high, log=spec.log)
    return CategoricalDistribution(spec.values)


def depth_distribution(rules: SequenceRules) -> IntDistribution:
    return IntDistribution(rules.min_layers, rules.max_layers)


def _sequences(space: SearchSpace) -> list[tuple[str, SequenceRules]]:
    return [("encoder", space.encoder)] + ([("decoder", space.decoder)] if space.decoder is not None else [])


def _build(space: SearchSpace, suggest: Suggest) -> Genome:
    """Walks the conditional parameters in order, asking `suggest(name, distribution)` for each."""
    if not isinstance(space, SearchSpace):
        return space.from_parameters({name: suggest(name, distribution(spec))
                                      for name, spec in space.parameters().items()})
    sequences = {}
    for where, rules in _sequences(space):
        genes = []
        for i in range(suggest(f"{where}.depth", depth_distribution(rules))):
            kind = suggest(f"{where}.{i}.kind", CategoricalDistribution(rules.kinds))
            specs = space.layer_specs.get(kind, {})
            genes.append(LayerGene(kind, **{name: suggest(f"{where}.{i}.{kind}.{name}", distribution(spec))
                                            for name, spec in specs.items()}))
        sequences[where] = tuple(genes)
    latent = suggest("latent_size", distribution(space.latent_size))
    training = TrainingGenes(**{name: suggest(f"training.{name}", distribution(space.training[name]))
                                for name in TRAINING_FIELDS})
    return Genome(sequences["encoder"], latent, training, sequences.get("decoder"))


def suggest_genome(trial: optuna.Trial, space: SearchSpace) -> Genome:
    """The trial's genome, suggested parameter by parameter (not yet repaired)."""

    def suggest(name: str, dist: BaseDistribution) -> Any:
        if isinstance(dist, CategoricalDistribution):
            return trial.suggest_categorical(name, dist.choices)
        if isinstance(dist, IntDistribution):
            return trial.suggest_int(name, dist.low, dist.high, log=dist.log)
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log)

    return _build(space, suggest)


def genome_params(genome: Genome, space: SearchSpace) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
    """The parameters (and their distributions) under which Optuna would have produced `genome`."""
    if not isinstance(space, SearchSpace):
        params = space.parameters_of(genome)
        return params, {name: distribution(spec) for name, spec in space.parameters().items()}
    params: dict[str, Any] = {}
    distributions: dict[str, BaseDistribution] = {}
    layers = {"encoder": genome.encoder, "decoder": genome.decoder or ()}

    def read(name: str, dist: BaseDistribution) -> Any:
        where, _, rest = name.partition(".")
        parts = rest.split(".")
        if rest == "depth":
            value = len(layers[where])
        elif where in layers and parts[-1] == "kind":
            value = layers[where][int(parts[0])].kind
        elif where in layers:
            value = getattr(layers[where][int(parts[0])], parts[-1])
        elif where == "training":
            value = getattr(genome.training, rest)
        else:
            value = genome.latent_size
        params[name], distributions[name] = value, dist
        return value

    _build(space, read)
    return params, distributions
