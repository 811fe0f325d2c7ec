"""Weight inheritance (the Lamarckian option): an offspring starts from its parent's trained weights
for the layers it shares with it, instead of from a random initialisation.

Trained weights are kept on disk, one file per genome (`WeightStore`), so worker processes can read
what other workers wrote: a parent always belongs to an earlier generation, whose files are complete.
Two layers are "shared" when they are the same kind of layer with the same settings and weight shapes.
Parent and child layers are aligned in order, so a layer added or removed in the middle of the encoder
does not stop the layers after it from inheriting: each child layer takes the next matching parent
layer after the last one matched.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from archsearch.core.atomic_write import write_atomically

# Settings that do not change what a layer computes with its weights.
_IGNORED_CONFIG = {"name", "trainable", "dtype"}


def layer_signature(layer: keras.layers.Layer) -> str:
    """What a layer is, apart from its name: its class, its settings and its weights' shapes."""
    config = {k: v for k, v in layer.get_config().items() if k not in _IGNORED_CONFIG}
    shapes = [list(w.shape) for w in layer.weights]
    return json.dumps([type(layer).__name__, config, shapes], sort_keys=True, default=str)


def weighted_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's layers that hold weights, in order, looking inside nested models."""
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += weighted_layers(layer)
        elif layer.weights:
            found.append(layer)
    return found


class WeightStore:
    """Trained weights of a run's genomes, by genome key, in `directory`."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.npz"

    def save(self, key: str, model: keras.Model) -> None:
        """Written atomically: another process reading the store never sees half a file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        layers = weighted_layers(model)
        arrays = {f"l{i}_w{j}": np.asarray(w) for i, layer in enumerate(layers)
                  for j, w in enumerate(layer.get_weights())}
        signatures = np.array(json.dumps([layer_signature(layer) for layer in layers]))
        write_atomically(self._path(key), lambda handle: np.savez(handle, signatures=signatures, **arrays))

    def load(self, key: str) -> list[tuple[str, list[np.ndarray]]] | None:
        """(signature, weights) per weighted layer of the genome, or None when none were saved."""
        if not self._path(key).is_file():
            return None
        with np.load(self._path(key)) as archive:
            signatures = json.loads(str(archive["signatures"]))
            return [(signature, [archive[f"l{i}_w{j}"] for j in range(_count(archive, i))])
                    for i, signature in enumerate(signatures)]


def _count(archive, layer: int) -> int:
    return sum(1 for name in archive.files if name.startswith(f"l{layer}_w"))


def inherit(model: keras.Model, parent: list[tuple[str, list[np.ndarray]]]) -> int:
    """Copies the parent's weights into the model's shared layers (aligned in order); returns how many
    layers inherited."""
    inherited, start = 0, 0
    for layer in weighted_layers(model):
        signature = layer_signature(layer)
        match = next((k for k in range(start, len(parent)) if parent[k][0] == signature), None)
        if match is None:
            continue
        layer.set_weights(parent[match][1])
        inherited, start = inherited + 1, match + 1
    return inherited
