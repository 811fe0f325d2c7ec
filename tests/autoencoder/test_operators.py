"""Operators are pure functions whose every output passes the space's validation."""

from collections import Counter

import numpy as np
import pytest

from archsearch.autoencoder.operators import MUTATIONS, mutate, two_point_crossover


def test_every_operator_output_is_valid_over_many_random_genomes(any_space):
    rng = np.random.default_rng(7)
    population = [any_space.sample(rng) for _ in range(30)]
    operators = Counter()
    for _ in range(1500):
        a, b = (population[int(i)] for i in rng.integers(len(population), size=2))
        children = two_point_crossover(a, b, any_space, rng)
        mutant, name = mutate(children[0], any_space, rng)
        operators[name] += 1
        for genome in (*children, mutant):
            assert any_space.problems(genome) == [], (any_space.problems(genome), genome)
        population[int(rng.integers(len(population)))] = mutant
    assert set(operators) == set(MUTATIONS)


@pytest.mark.parametrize("kind", MUTATIONS)
def test_each_mutation_does_what_its_name_says(conv_space, kind):
    rng = np.random.default_rng(11)
    changed = 0
    for _ in range(200):
        genome = conv_space.sample(rng)
        mutant, name = mutate(genome, conv_space, rng, kind=kind)
        if name != kind:
            continue  # not possible for this genome (e.g. add at maximum depth)
        if kind == "add_layer":
            assert len(mutant.encoder) >= len(genome.encoder)  # repair may trim, never below the original
        elif kind == "remove_layer":
            assert len(mutant.encoder) <= len(genome.encoder)
        elif kind == "modify_training":
            assert mutant.encoder == genome.encoder
        changed += mutant != genome
    assert changed > 150


def test_crossover_mixes_variable_length_parents(conv_space):
    rng = np.random.default_rng(5)
    lengths, new = set(), 0
    for _ in range(300):
        a, b = conv_space.sample(rng), conv_space.sample(rng)
        child, _ = two_point_crossover(a, b, conv_space, rng)
        lengths.add((len(a.encoder), len(b.encoder), len(child.encoder)))
        new += child not in (a, b)
    assert new > 200
    # Children can be longer than both parents or shorter than both: segments of different lengths swap.
    assert any(c > max(x, y) for x, y, c in lengths)
    assert any(c < min(x, y) for x, y, c in lengths)


def test_operators_do_not_touch_their_inputs_and_repeat_with_the_seed(conv_space):
    a, b = conv_space.sample(np.random.default_rng(1)), conv_space.sample(np.random.default_rng(2))
    before = (a.to_json(), b.to_json())
    def both(seed):
        return two_point_crossover(a, b, conv_space, np.random.default_rng(seed)), mutate(a, conv_space,
                                                                                         np.random.default_rng(seed))

    assert both(9) == both(9)
    assert (a.to_json(), b.to_json()) == before
