"""A network's trainable weights as rows of one `(population, n_params)` array, and back.

Weight evolution mutates and recombines flat vectors; Keras wants a list of tensors per layer. The
layout that maps one to the other is computed once per architecture (`WeightLayout.of(model)`), so a
generation costs one reshape of the population array, not a `get_weights`/`set_weights` per agent.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np


@dataclass(frozen=True)
class WeightLayout:
    """The shapes of a model's trainable weights, in `model.trainable_weights` order."""

    paths: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, model: keras.Model) -> "WeightLayout":
        weights = model.trainable_weights
        return cls(tuple(w.path for w in weights), tuple(tuple(int(d) for d in w.shape) for w in weights))

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(int(np.prod(s, dtype=np.int64)) for s in self.shapes)

    @property
    def n_params(self) -> int:
        return sum(self.sizes)

    @property
    def offsets(self) -> tuple[int, ...]:
        return tuple(int(o) for o in np.cumsum((0,) + self.sizes[:-1]))

    def flatten(self, model: keras.Model) -> np.ndarray:
        """The model's trainable weights as one float32 vector."""
        return np.concatenate([np.ravel(keras.ops.convert_to_numpy(w)) for w in model.trainable_weights]
                              ).astype(np.float32)

    def unflatten(self, population: np.ndarray) -> list[np.ndarray]:
        """(P, n_params) -> one array per weight, each with a leading population axis (views, no copy)."""
        population = np.asarray(population)
        if population.ndim != 2 or population.shape[1] != self.n_params:
            raise ValueError(f"expected a (population, {self.n_params}) array, got {population.shape}")
        return [population[:, o:o + n].reshape((len(population),) + shape)
                for o, n, shape in zip(self.offsets, self.sizes, self.shapes)]

    def assign(self, model: keras.Model, vector: np.ndarray) -> None:
        """Loads one flat vector into the model (to export or check an individual)."""
        for variable, value in zip(model.trainable_weights, self.unflatten(np.asarray(vector)[None])):
            variable.assign(value[0])

    def initial(self, rng: np.random.Generator, count: int = 1) -> np.ndarray:
        """`count` fresh initialisations (count, n_params), drawn as Keras' defaults are (Glorot uniform
        kernels, zero biases and betas, unit gammas) but from `rng`, so a seeded run repeats."""
        columns = []
        for path, shape, size in zip(self.paths, self.shapes, self.sizes):
            name = path.rsplit("/", 1)[-1]
            if name == "kernel":
                receptive = int(np.prod(shape[:-2], dtype=np.int64))
                limit = np.sqrt(6.0 / (receptive * (shape[-2] + shape[-1])))
                columns.append(rng.uniform(-limit, limit, (count, size)))
            else:
                columns.append(np.full((count, size), 1.0 if name == "gamma" else 0.0))
        return np.concatenate(columns, axis=1).astype(np.float32)
