"""`layered`: a synthetic multi-fidelity benchmark shaped like an architecture search, with a known optimum.

A candidate is a list of 1-6 layers (a convolution with its filters and kernel, a pooling, or a dense
layer with its units: a variable-length, conditional space, as the real ones) and two training genes.
Its final error, after the full budget, is 0.05 plus a penalty for each way it differs from the
optimum: three convolutions of 32, 64 and 64 filters with 3x3 kernels, two poolings, one dense layer of
128 units, a learning rate of 3e-3 and batches of 64. Its error at a smaller budget follows a learning
curve from 0.9 down to that final error, faster with a higher learning rate, so curves cross and the
lower rungs rank candidates well but not perfectly, as real training does. Each evaluation adds noise
from its seed (less at larger budgets), and reports the seconds a real candidate of its size would
train, so `run.simulated.SimulatedPool` schedules it as such.

`regret` (a metric of every evaluation) is the candidate's noise-free final error minus the optimum's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from archsearch.core.params import Choice, Float
from archsearch.core.space.nodes import Group, OneOf, Repeated
from archsearch.core.space.space import Space
from archsearch.simulated.benchmark import Outcome

OPTIMUM = 0.05  # the best final error
START = 0.9  # every learning curve's error before training
TOP_BUDGET = 162_048  # samples seen at the top rung (as the autoencoder's default ladder)
FILTER_TARGETS = (32, 64, 64)

SPACE = Space({
    "layers": Repeated(OneOf(conv=Group(filters=Choice((8, 16, 32, 64, 128), default=16), kernel=Choice((3, 5, 7))),
                             pool=Group(), dense=Group(units=Choice((32, 64, 128, 256)))),
                       min_length=1, max_length=6),
    "learning_rate": Float(1e-4, 1e-1, log=True, default=1e-3),
    "batch_size": Choice((32, 64, 128, 256), default=64),
}, name="layered", description="a synthetic search over layer lists with a known optimum (final error 0.05)")


def final_error(genes: Mapping[str, Any]) -> float:
    """The noise-free error after the full budget: the optimum's plus a penalty per difference from it."""
    layers = genes["layers"]
    convs = [layer for layer in layers if layer["kind"] == "conv"]
    dense = [layer for layer in layers if layer["kind"] == "dense"]
    error = OPTIMUM + 0.02 * abs(len(convs) - 3) + 0.015 * abs(sum(1 for x in layers if x["kind"] == "pool") - 2)
    targets = FILTER_TARGETS + (FILTER_TARGETS[-1],) * len(convs)
    error += sum(0.01 * abs(math.log2(c["filters"] / t)) + 0.005 * (c["kernel"] != 3) for c, t in zip(convs, targets))
    error += 0.01 * (len(dense) - 1) ** 2 + sum(0.005 * abs(math.log2(d["units"] / 128)) for d in dense)
    error += 0.03 * (math.log10(genes["learning_rate"]) - math.log10(3e-3)) ** 2
    return error + 0.005 * abs(math.log2(genes["batch_size"] / 64))


def error_at(genes: Mapping[str, Any], budget: int, seed: Any) -> float:
    """The error after `budget` samples: a learning curve from START to the final error (its pace set by
    the learning rate), with noise from `seed` (any seed numpy takes) that shrinks as the budget grows;
    None: without noise."""
    final, share = final_error(genes), budget / TOP_BUDGET
    # The share of the top budget that halves the gap: the learning rate sets the pace, mildly, so that the
    # lowest rung ranks candidates with a Spearman correlation of about 0.4 against their final error,
    # the next ones about 0.8 and 0.96 (as learning curves of real searches do).
    pace = 0.02 * (1e-3 / genes["learning_rate"]) ** 0.15
    curve = final + (START - final) * pace / (pace + share)
    noise = 0.0 if seed is None else np.random.default_rng(seed).normal(0.0, 0.004 * (1.5 - share))
    return float(max(0.0, curve + noise))


def seconds_per_sample(genes: Mapping[str, Any]) -> float:
    """What a sample costs a real candidate of this size (0.1-1 ms): more filters and larger kernels cost more,
    every pooling halves what follows; larger batches run faster."""
    work, scale = 1.0, 1.0
    for layer in genes["layers"]:
        if layer["kind"] == "conv":
            work += scale * layer["filters"] * layer["kernel"] ** 2 / 288
        elif layer["kind"] == "pool":
            scale /= 4
        else:
            work += layer["units"] / 256
    return 1e-4 * min(10.0, work) * (64 / genes["batch_size"]) ** 0.3


class Layered:
    """`layered` as a `simulated.benchmark.Benchmark`."""

    name = "layered"
    description = SPACE.description
    space = SPACE
    top_budget = TOP_BUDGET
    budget_unit = "samples seen"
    fixed_seconds = 0.5

    def outcome(self, genes: Mapping[str, Any], budget: int, start: int, seed: int) -> Outcome:
        train_seconds = seconds_per_sample(genes) * (budget - start)
        return Outcome(error_at(genes, budget, [seed, budget]), error_at(genes, budget, None),
                       final_error(genes) - OPTIMUM, train_seconds, len(genes["layers"]))
