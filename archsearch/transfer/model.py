"""Transfer genes -> a Keras classifier: a pretrained backbone, cut and partly frozen, under a new head.

A backbone is an encoder exported by an archsearch search (its directory, or an autoencoder's
`.keras` file, whose `encoder` part is taken), any Keras model file, or a `keras.applications` model
built with weights from a local file or with random ones (`weights=None`). Nothing is downloaded.

Depth is counted in *cut points*: layers after which the only tensor still needed is that layer's
output, so the network can end there. In a plain stack every layer is one; in a network with branches
(DenseNet, ResNet) they are the ends of its blocks. This knows nothing about evolution: it reads
transfer genes (`Params` of `transfer.space`) and a backbone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from archsearch.core.errors import ArchsearchError, InvalidGenome
from archsearch.core.space.params import Params
from archsearch.training.saved import encoder_part, load_model_file
from archsearch.transfer.space import frozen_count

# Features larger than this are averaged over space before the head instead of flattened.
MAX_FLAT_FEATURES = 4096
APPLICATION_MIN_SIDE = 32  # the smallest image side keras.applications models accept


@dataclass(frozen=True)
class BackboneSource:
    """Where the backbone comes from (plain data, so it pickles into worker processes): a path (an
    exported model directory or a `.keras` file) or a `keras.applications` name, with `weights` a
    local weights file for the latter (None: random weights)."""

    spec: str
    weights: str | None = None

    def load(self, image_shape: tuple[int, ...]) -> keras.Model:
        """A fresh copy of the backbone, with its pretrained weights, for images of `image_shape`."""
        path = Path(self.spec).expanduser()
        if path.is_dir():
            return _model_in_directory(path)
        if path.is_file():
            if self.weights:
                raise ArchsearchError(f"--backbone-weights {self.weights}: only for a keras.applications backbone; "
                                      f"{path} carries its own weights")
            return _encoder_or_whole(load_model_file(path, f"--backbone {path}"))
        return _application(self.spec, self.weights, image_shape)

    @property
    def label(self) -> str:
        return self.spec if self.weights is None else f"{self.spec} ({self.weights})"


def _model_in_directory(path: Path) -> keras.Model:
    for name in ("encoder.keras", "model.keras"):
        if (path / name).is_file():
            return _encoder_or_whole(load_model_file(path / name, f"--backbone {path / name}"))
    raise ArchsearchError(f"--backbone {path}: no encoder.keras or model.keras in this directory")


def _encoder_or_whole(model: keras.Model) -> keras.Model:
    """An archsearch autoencoder's encoder; any other model as it is."""
    return encoder_part(model) or model


def application_names() -> list[str]:
    return sorted(name for name in dir(keras.applications)
                  if name[:1].isupper() and callable(getattr(keras.applications, name)))


def _application(spec: str, weights: str | None, image_shape: tuple[int, ...]) -> keras.Model:
    names = {name.lower(): name for name in application_names()}
    if spec.lower() not in names:
        examples = ", ".join([n for n in application_names() if "Net" in n][:6])
        raise ArchsearchError(f"--backbone {spec}: not a file, a directory or a keras.applications model "
                              f"(e.g. {examples})")
    if weights is not None and not Path(weights).expanduser().is_file():
        raise ArchsearchError(f"--backbone-weights {weights}: no such file (archsearch downloads nothing)")
    height, width = (max(APPLICATION_MIN_SIDE, side) for side in image_shape[:2])
    build = getattr(keras.applications, names[spec.lower()])
    try:
        return build(include_top=False, weights=None if weights is None else str(Path(weights).expanduser()),
                     input_shape=(height, width, 3))
    except OSError as exc:  # a weights file that h5py cannot read
        raise ArchsearchError(f"--backbone-weights {weights}: not a Keras weights file ({exc})") from None
    except ValueError as exc:
        raise ArchsearchError(f"--backbone {spec}: {str(exc).splitlines()[0]}") from None


@dataclass(frozen=True)
class CutPoint:
    layer: keras.layers.Layer
    tensor: object  # the layer's output in the backbone's own graph: where a cut model ends
    position: int  # the layer's place among the backbone's layers (input layers left out)


def backbone_graph(model: keras.Model) -> tuple[keras.Model, list[tuple[keras.layers.Layer, list, list]]]:
    """The functional graph of the model and, in order, each layer with its input and output tensors
    in that graph. A layer may have been called in other graphs too (a Sequential model loaded from a
    file is built more than once), so its `input`/`output` properties cannot be trusted."""
    graph = getattr(model, "_functional", None) if isinstance(model, keras.Sequential) else model
    if graph is None or not hasattr(graph, "_nodes_by_depth"):
        raise ArchsearchError(f"backbone {model.name}: not a built functional or Sequential model with a known "
                              "input shape")
    nodes = {id(node.operation): node for depth in graph._nodes_by_depth.values() for node in depth}
    return graph, [(layer, keras.tree.flatten(nodes[id(layer)].input_tensors),
                    keras.tree.flatten(nodes[id(layer)].outputs))
                   for layer in graph.layers if not isinstance(layer, keras.layers.InputLayer)]


def cut_points(model: keras.Model) -> list[CutPoint]:
    """Where, in order, the model can be cut (see the module docstring)."""
    return _cut_points(*backbone_graph(model))


def _cut_points(graph: keras.Model, layers: list[tuple[keras.layers.Layer, list, list]]) -> list[CutPoint]:
    born: dict[int, int] = {id(t): -1 for t in graph.inputs}
    last_use: dict[int, int] = {}
    for i, (_, inputs, outputs) in enumerate(layers):
        for tensor in inputs:
            last_use[id(tensor)] = i
        for tensor in outputs:
            born[id(tensor)] = i
    for tensor in graph.outputs:
        last_use[id(tensor)] = len(layers)
    live = np.zeros(len(layers) + 1, dtype=int)  # tensors still needed just after layer i
    for tensor, start in born.items():
        end = last_use.get(tensor, start)
        if end > start:
            live[max(start, 0):end] += 1
    return [CutPoint(layer, outputs[0], i) for i, (layer, _, outputs) in enumerate(layers)
            if live[i] == 1 and len(outputs) == 1 and last_use.get(id(outputs[0]), i) > i]


@dataclass
class TransferModel:
    """The assembled classifier and what it was made of."""

    model: keras.Model
    backbone_depth: int
    kept_layers: int  # backbone layers (not cut points) in the classifier
    frozen_layers: int
    # What fine-tuning without gradients needs: the backbone graph's inputs and its frozen part's output
    # (None: nothing frozen), and the layers after it in order, the head's last.
    backbone_inputs: list | None = None
    frozen_output: object = None
    trained_layers: tuple = ()

    @property
    def params(self) -> int:
        return int(self.model.count_params())

    @property
    def trainable_params(self) -> int:
        return int(sum(np.prod(w.shape) for w in self.model.trainable_weights))


def build_classifier(backbone: keras.Model, genes: Params, image_shape: tuple[int, ...], classes: int,
                     max_params: int | None = None) -> TransferModel:
    """Cuts `backbone` after its `included`-th cut point, freezes everything up to its `frozen_count`-th,
    and puts a new head on it; raises `InvalidGenome` when the genes do not fit the backbone."""
    graph, nodes = backbone_graph(backbone)
    points = _cut_points(graph, nodes)
    included, frozen_points = genes["included"], frozen_count(genes)
    if not 1 <= included <= len(points) or not 0 <= frozen_points <= included:
        raise InvalidGenome(f"keep {included}, freeze {frozen_points}: the backbone has {len(points)} "
                            "cut points, and frozen must not exceed kept")
    kept = points[included - 1].position + 1
    frozen = points[frozen_points - 1].position + 1 if frozen_points else 0
    for i, (layer, _, _) in enumerate(nodes):
        layer.trainable = i >= frozen
    trunk = keras.Model(graph.inputs, points[included - 1].tensor, name="backbone")
    image = keras.Input(shape=tuple(image_shape), name="image")
    head = _head_layers(trunk.output.shape, genes, classes)
    output = trunk(_adapt(image, tuple(backbone.input_shape[1:])))
    for layer in head:
        output = layer(output)
    built = TransferModel(keras.Model(image, output, name="transfer_classifier"), len(points), kept, frozen,
                          list(graph.inputs), points[frozen_points - 1].tensor if frozen_points else None,
                          tuple(layer for layer, _, _ in nodes[frozen:kept]) + tuple(head))
    if max_params is not None and built.params > max_params:
        raise InvalidGenome(f"{built.params:,} parameters, over the limit of {max_params:,}")
    return built


def _adapt(image, backbone_shape: tuple[int, ...]):
    """Resizes the images to the backbone's input, and repeats a grey channel for a colour backbone."""
    height, width, channels = tuple(image.shape[1:])
    want_h, want_w, want_c = backbone_shape
    if (want_h, want_w) != (height, width) and want_h is not None and want_w is not None:
        image = keras.layers.Resizing(want_h, want_w, name="resize_to_backbone")(image)
    if want_c != channels:
        if channels != 1:
            raise ArchsearchError(f"the backbone takes {want_c} channels; the images have {channels}")
        image = keras.layers.Concatenate(name="grey_to_colour")([image] * want_c)
    return image


def _head_layers(shape: tuple, genes: Params, classes: int) -> list[keras.layers.Layer]:
    """The new head on the backbone's output of `shape`: its features (flattened, or averaged over space
    when large), dropout, the hidden layer, the softmax."""
    layers = []
    if len(shape) == 4 and int(np.prod(shape[1:])) > MAX_FLAT_FEATURES:
        layers.append(keras.layers.GlobalAveragePooling2D(name="features"))
    elif len(shape) != 2:
        layers.append(keras.layers.Flatten(name="features"))
    if genes["dropout"] > 0:
        layers.append(keras.layers.Dropout(genes["dropout"], name="head_dropout"))
    if genes["head_units"]:
        layers.append(keras.layers.Dense(genes["head_units"], activation="relu", name="head_hidden"))
        if genes["dropout"] > 0:
            layers.append(keras.layers.Dropout(genes["dropout"], name="head_hidden_dropout"))
    return layers + [keras.layers.Dense(classes, activation="softmax", name="classes")]


def split_at_frozen(built: TransferModel) -> tuple[keras.Model, keras.Model]:
    """The classifier in two: `fixed` maps the images to what the first trained layer reads (resized and
    through the frozen backbone), so it runs once; `trained` is the chain of layers on top whose weights
    training changes (the same layer objects as the classifier's: setting them sets the classifier's)."""
    image = keras.Input(shape=tuple(built.model.input_shape[1:]))
    reads = _adapt(image, tuple(built.backbone_inputs[0].shape[1:]))
    if built.frozen_output is not None:
        reads = keras.Model(built.backbone_inputs, built.frozen_output)(reads)
    trained = keras.Sequential([keras.Input(shape=tuple(reads.shape[1:])), *built.trained_layers])
    return keras.Model(image, reads, name="fixed"), trained


def describe_classifier(built: TransferModel, genes: Params) -> str:
    """A plain-text summary for the export directory."""
    lines = [f"transfer genes: {genes.describe()}",
             f"backbone: {built.backbone_depth} cut points; kept {genes['included']} of them "
             f"({built.kept_layers} layers), frozen {frozen_count(genes)} ({built.frozen_layers} layers)",
             f"parameters: {built.params:,} ({built.trainable_params:,} trainable)", "",
             f"{'layer':<28}{'output shape':<26}{'params':>10}"]
    for layer in built.model.layers[1:]:
        lines.append(f"{layer.name:<28}{str(tuple(layer.output.shape[1:])):<26}{layer.count_params():>10,}")
    return "\n".join(lines)
