"""Operators are pure functions whose every output passes the space's validation."""

from collections import Counter

import numpy as np
import pytest

from archsearch.operators import MUTATIONS, mutate, two_point_crossover


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


def test_every_gene_is_about_equally_likely_to_mutate(conv_space):
    # the default genome: 2 conv layers, and 5 free genes outside them (latent size, optimizer, learning
    # rate, batch size, loss); one add and one remove: the latent size changes in about 1 mutation of 9
    rng = np.random.default_rng(0)
    default = conv_space.default
    names = Counter(mutate(default, conv_space, rng)[1] for _ in range(1800))
    assert abs(names["modify_training"] / 1800 - 5 / 9) < 0.05
    assert abs(names["modify_layer"] / 1800 - 2 / 9) < 0.04
    latent = sum(mutate(default, conv_space, rng)[0].latent_size != 16 for _ in range(1800))
    assert 0.08 < latent / 1800 < 0.15  # one in twenty when every kind of mutation was equally likely
