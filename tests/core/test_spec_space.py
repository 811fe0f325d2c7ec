"""Spaces built from specs: everything a strategy needs follows from the specs, and stays in the space."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import spec_space

from archsearch.core.genomes import genome_from_dict
from archsearch.core.params import Choice, Float, Int
from archsearch.core.space.nodes import Group, OneOf, Repeated, When
from archsearch.core.space.params import Params
from archsearch.core.space.space import Space


def conditions_hold(values):
    training = values["training"]
    assert ("momentum" in training) == (training["optimizer"] == "sgd")
    for layer in values["layers"]:
        dilated = {"dilated"} if layer.get("kernel") == 3 else set()
        fields = {"conv": {"filters", "kernel"} | dilated, "pool": set(), "dense": {"units", "dropout"}}
        assert set(layer) == fields[layer["kind"]] | {"kind"}


def test_sampled_mutated_and_crossed_candidates_stay_in_the_space():
    space, rng = spec_space(), np.random.default_rng(0)
    population = [space.sample(rng) for _ in range(50)]
    for _ in range(400):
        first, second = (population[i] for i in rng.choice(len(population), 2, replace=False))
        children = [*space.crossover(first, second, rng), space.mutate(first, rng)[0]]
        for child in children:
            assert space.problems(child) == []
            conditions_hold(child)
        population[int(rng.integers(len(population)))] = children[int(rng.integers(3))]


def test_repair_makes_any_mangled_candidate_valid_and_keeps_what_was_valid():
    space, rng = spec_space(), np.random.default_rng(1)
    for _ in range(200):
        genome = space.sample(rng)
        assert space.repair(genome, rng) == genome
        values = genome.plain
        values["junk"] = 1
        values["width"] = 40 if rng.random() < 0.5 else "wide"
        values["layers"] = values["layers"] * 3 + [{"kind": "attention"}, {"kind": "dense", "units": 10_000}]
        values["training"].pop("learning_rate")
        values["training"]["momentum"] = 7.0
        assert space.problems(Params(values))
        repaired = space.repair(Params(values), rng)
        assert space.problems(repaired) == []
        conditions_hold(repaired)


def test_problems_name_the_parameter_and_what_is_wrong():
    space = spec_space()
    values = space.default.plain
    values["width"] = 12
    values["layers"].append({"kind": "dense", "units": 3, "dropout": 0.1})
    values["training"]["momentum"] = 0.5  # the default optimizer is adam
    assert space.problems(Params(values)) == [
        "layers[1].units: 3 outside 8..256 (log)", "width: 12 outside 1..9",
        "training.momentum: set, but its condition does not hold"]


def test_the_default_takes_each_specs_default_and_a_given_one_is_checked():
    space = spec_space()
    assert space.default.plain == {"layers": [{"kind": "conv", "filters": 8, "kernel": 3, "dilated": False}],
                                   "width": 1, "training": {"optimizer": "adam", "learning_rate": 1e-3}}
    given = {**space.default.plain, "width": 5}
    assert Space(space.root, default=given).default["width"] == 5
    with pytest.raises(ValueError, match="width: 50 outside 1..9"):
        Space(space.root, default={**given, "width": 50})


def test_mutation_changes_structure_kinds_and_every_value():
    space, rng = spec_space(), np.random.default_rng(2)
    genome, seen, changed = space.sample(rng), set(), 0
    for _ in range(2000):
        mutant, operator = space.mutate(genome, rng)
        seen.add(operator)
        changed += mutant != genome
        genome = mutant
    assert seen >= {"add_layers", "remove_layers", "switch_layers", "mutate_layers.conv.filters",
                    "mutate_layers.conv.kernel", "mutate_layers.conv.dilated", "mutate_layers.dense.units",
                    "mutate_layers.dense.dropout", "mutate_width", "mutate_training.optimizer",
                    "mutate_training.momentum", "mutate_training.learning_rate"}
    assert changed > 0.95 * 2000


def test_crossover_children_are_made_of_their_parents_layers():
    space, rng = spec_space(), np.random.default_rng(3)
    for _ in range(100):
        first, second = space.sample(rng), space.sample(rng)
        parent_layers = [json.dumps(layer, sort_keys=True) for p in (first, second) for layer in p.plain["layers"]]
        for child in space.crossover(first, second, rng):
            assert child["width"] in (first["width"], second["width"])
            inherited = [json.dumps(layer, sort_keys=True) in parent_layers for layer in child.plain["layers"]]
            assert sum(inherited) >= len(inherited) - 1  # only a layer added to reach min_length is new


def test_a_candidate_is_read_only_plain_data_with_a_json_document_and_a_stable_key():
    genome = spec_space().sample(np.random.default_rng(4))
    assert genome_from_dict(json.loads(genome.to_json())) == genome
    with pytest.raises(TypeError):
        genome["layers"][0]["kind"] = "pool"  # noqa
    code = f"from archsearch.core.genomes import genome_from_dict; print(genome_from_dict({genome.to_dict()!r}).key)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == genome.key
    assert genome.describe().startswith("layers=[")


@pytest.mark.parametrize("declare, message", [
    (lambda: Group(momentum=When(Float(0, 1), optimizer="sgd"), optimizer=Choice(["adam", "sgd"])),
     "not an earlier parameter"),
    (lambda: Group({"a.b": Int(1, 2)}), "without dots"),
    (lambda: Group(rate=0.5), "not a parameter"),
    (lambda: OneOf(conv=Group(kind=Choice(["x"]))), "the option's own name"),
    (lambda: Repeated(Int(1, 2), 3, 2), "min_length <= max_length"),
    (lambda: Int(5, 1), "low 5 > high 1"),
    (lambda: Float(0.0, 1.0, log=True), "log range needs low > 0"),
    (lambda: Choice(["a", "b"], default="c"), "default 'c' is not one of"),
])
def test_a_badly_declared_space_is_one_clear_error(declare, message):
    with pytest.raises((ValueError, TypeError), match=message):
        declare()
