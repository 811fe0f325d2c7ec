"""Backbones: where they come from, where they can be cut, and what freezing leaves trainable."""

import keras
import numpy as np
import pytest

from archsearch.autoencoder.genome import Genome, LayerGene
from archsearch.autoencoder.model import build_autoencoder
from archsearch.core.errors import ArchsearchError, InvalidGenome
from archsearch.transfer.model import BackboneSource, build_classifier, cut_points
from archsearch.transfer.space import transfer_genes


def stack() -> keras.Model:
    """conv (80 weights) -> batch-norm (32, of which 16 trainable) -> pool -> flatten -> dense (1,445)."""
    return keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(8, 3, padding="same"),
                             keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(),
                             keras.layers.Flatten(), keras.layers.Dense(5)], name="stack")


def count(weights) -> int:
    return int(sum(np.prod(w.shape) for w in weights))


def test_every_layer_of_a_plain_stack_is_a_cut_point_but_a_branch_is_not():
    assert len(cut_points(stack())) == 5
    x = keras.Input((6,))
    a = keras.layers.Dense(4, name="a")(x)
    b = keras.layers.Dense(4, name="b")(a)  # a is still needed after b: no cut after b
    c = keras.layers.Add(name="c")([a, b])
    model = keras.Model(x, keras.layers.Dense(2, name="d")(c))
    assert [point.layer.name for point in cut_points(model)] == ["a", "c", "d"]


@pytest.mark.parametrize("included, frozen", [(1, 0), (2, 1), (5, 2), (5, 5), (3, 3)])
def test_cutting_and_freezing_leave_exactly_the_expected_weights_trainable(included, frozen):
    backbone = stack()
    layers = backbone.layers
    genome = transfer_genes(included, frozen / included, head_units=16, dropout=0.1)
    built = build_classifier(backbone, genome, (12, 12, 1), classes=3)
    features = int(np.prod(layers[included - 1].output.shape[1:]))
    head = (features * 16 + 16) + (16 * 3 + 3)
    kept_trainable = sum(count(layer.trainable_weights) for layer in layers[frozen:included])
    kept_all = sum(count(layer.weights) for layer in layers[:included])
    assert built.trainable_params == kept_trainable + head
    assert built.params == kept_all + head
    assert count(built.model.non_trainable_weights) == kept_all - kept_trainable
    assert built.model.output_shape == (None, 3)


def test_genes_beyond_the_backbone_are_invalid_not_a_crash():
    with pytest.raises(InvalidGenome, match="5 cut points"):
        build_classifier(stack(), transfer_genes(6), (12, 12, 1), classes=3)
    with pytest.raises(InvalidGenome, match="frozen"):
        build_classifier(stack(), transfer_genes(2, 1.5), (12, 12, 1), classes=3)
    with pytest.raises(InvalidGenome, match="over the limit"):
        build_classifier(stack(), transfer_genes(5, head_units=512), (12, 12, 1), 3, max_params=100)


def test_an_archsearch_export_gives_its_encoder(tmp_path):
    genome = Genome((LayerGene("conv", filters=4, kernel=3, stride=2, activation="relu"),), latent_size=6)
    built = build_autoencoder(genome, (12, 12, 1))
    built.autoencoder.save(tmp_path / "model.keras")
    backbone = BackboneSource(str(tmp_path / "model.keras")).load((12, 12, 1))
    assert backbone.name == "encoder" and backbone.output_shape == (None, 6)
    built.encoder.save(tmp_path / "encoder.keras")
    from_dir = BackboneSource(str(tmp_path)).load((12, 12, 1))  # a directory: its encoder.keras
    assert from_dir.name == "encoder"
    assert np.allclose(from_dir.get_weights()[0], built.encoder.get_weights()[0])


@pytest.mark.slow
def test_keras_applications_backbone_from_a_local_weights_file(tmp_path):
    """DenseNet121 built without a download: random weights, saved and read back as "pretrained" ones;
    grey 28x28 images are resized to 32x32 and repeated to three channels."""
    random = BackboneSource("densenet121").load((28, 28, 1))
    points = cut_points(random)
    assert 50 < len(points) < len(random.layers)  # block ends, not every layer
    assert points[-1].layer is random.layers[-1]
    random.save_weights(tmp_path / "densenet.weights.h5")
    loaded = BackboneSource("DenseNet121", str(tmp_path / "densenet.weights.h5")).load((28, 28, 1))
    assert np.array_equal(loaded.get_weights()[0], random.get_weights()[0])
    built = build_classifier(loaded, transfer_genes(8, 1.0), (28, 28, 1), classes=10)
    assert built.model.predict(np.zeros((2, 28, 28, 1), np.float32), verbose=0).shape == (2, 10)
    assert built.trainable_params == count(built.model.get_layer("classes").weights)  # the backbone is frozen


def test_unknown_backbones_and_stray_weights_are_one_line_errors(tmp_path):
    with pytest.raises(ArchsearchError, match="--backbone nosuchnet: not a file"):
        BackboneSource("nosuchnet").load((28, 28, 1))
    with pytest.raises(ArchsearchError, match="--backbone-weights .*no such file"):
        BackboneSource("DenseNet121", str(tmp_path / "missing.h5")).load((28, 28, 1))
    (tmp_path / "damaged.weights.h5").write_bytes(bytes(range(256)) * 8)
    with pytest.raises(ArchsearchError, match="--backbone-weights .*damaged.weights.h5: not a Keras weights file"):
        BackboneSource("MobileNet", str(tmp_path / "damaged.weights.h5")).load((28, 28, 1))
    with pytest.raises(ArchsearchError, match="no encoder.keras or model.keras"):
        BackboneSource(str(tmp_path)).load((28, 28, 1))
    (tmp_path / "broken.keras").write_text("not a model")
    with pytest.raises(ArchsearchError, match="not a Keras model file"):
        BackboneSource(str(tmp_path / "broken.keras")).load((28, 28, 1))
