"""Weight evolution's foundations: weights as one (population, n_params) array, and one batched forward
pass for the whole population that agrees with Keras run individual by individual."""

import re

import keras
import numpy as np
import pytest

from archsearch.autoencoder.genome import Genome, LayerGene
from archsearch.autoencoder.model import build_autoencoder
from archsearch.weights.kernels import (
    GRADIENT,
    GROUPED,
    PHASES,
    SPLIT,
    Formulation,
    every_formulation,
    fastest_formulation,
    grouped_convolution_works,
    grouped_transposed_convolution_works,
    kernel_works,
    runnable_formulations,
)
from archsearch.weights.layout import WeightLayout
from archsearch.weights.population_forward import PopulationForward
from archsearch.weights.precision import bfloat16_failure
from archsearch.weights.seed_network import build_seed_network

GENOMES = {
    "dense": Genome((LayerGene("dense", units=24, activation="tanh"),), 2),
    "conv stride 2, batch-norm, pool": Genome((LayerGene("conv", 6, 3, 2, "relu"), LayerGene("batchnorm"),
                                               LayerGene("pool"), LayerGene("dropout", rate=0.2)), 4),
    "conv kernel 5, dense": Genome((LayerGene("conv", 4, 5, 1, "elu"), LayerGene("dense", units=16,
                                                                                activation="relu")), 3),
    "evolved decoder": Genome((LayerGene("conv", 4, 3, 2, "relu"),), 4,
                              decoder=(LayerGene("dense", units=32, activation="relu"),
                                       LayerGene("conv", 5, 5, 2, "tanh"))),
}


def valid_transposed_stride_2() -> keras.Model:
    """Layers the builder never makes: 'valid' transposed convolutions with stride 2, a shared-input
    batch-norm, and a dense layer on a 4-D tensor."""
    image = keras.Input((12, 12, 1))
    x = keras.layers.BatchNormalization()(image)
    x = keras.layers.Conv2D(3, 3, strides=2, activation="tanh")(x)  # 5x5
    x = keras.layers.Dense(4, activation="relu")(x)
    x = keras.layers.Conv2DTranspose(2, 3, strides=2, activation="relu")(x)  # 11x11
    x = keras.layers.Conv2DTranspose(1, 2, activation="sigmoid")(x)  # 12x12
    return keras.Model(image, x)


def transposed_first() -> keras.Model:
    """A strided transposed convolution as the first layer, where every individual sees the same images."""
    image = keras.Input((12, 12, 1))
    x = keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same", activation="tanh")(image)  # 24x24
    return keras.Model(image, keras.layers.Conv2D(1, 3, strides=2, padding="same", activation="sigmoid")(x))


def dense_chain_batchnorm_softmax() -> keras.Model:
    """Dense layers with what their (P, units, B) layout must handle: batch-norm on units, a softmax
    (along the last axis), a Reshape with -1 to images, then a dense and a convolution on images."""
    image = keras.Input((12, 12, 1))
    x = keras.layers.Flatten()(image)
    x = keras.layers.Dense(10, activation="relu")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dense(6, activation="softmax")(x)
    x = keras.layers.Dense(36)(x)
    x = keras.layers.Reshape((6, 6, -1))(x)
    x = keras.layers.Dense(2, activation="tanh")(x)
    x = keras.layers.UpSampling2D(2)(x)
    x = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(image, x)


def global_pooling(first: bool) -> keras.Model:
    """Global pooling, as a transfer head puts it on a large backbone: on the population's own feature
    maps (average), or on the shared images themselves (maximum, `first`)."""
    image = keras.Input((12, 12, 1))
    if first:
        x = keras.layers.GlobalMaxPooling2D()(image)
    else:
        x = keras.layers.Conv2D(3, 3, strides=2, activation="relu")(image)
        x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(144, activation="sigmoid")(keras.layers.Dense(5, activation="tanh")(x))
    return keras.Model(image, keras.layers.Reshape((12, 12, 1))(x))


MODELS = {name: (lambda genome=genome: build_autoencoder(genome, (12, 12, 1)).autoencoder)
          for name, genome in GENOMES.items()}
MODELS["seed network (28x28)"] = lambda: build_seed_network(filters=3).autoencoder
MODELS["valid transposed, stride 2"] = valid_transposed_stride_2
MODELS["dense chain, batch-norm, softmax"] = dense_chain_batchnorm_softmax
MODELS["transposed first, stride 2"] = transposed_first
MODELS["global average pooling"] = lambda: global_pooling(first=False)
MODELS["global max pooling first"] = lambda: global_pooling(first=True)


def images_for(model, tiny_images, count):
    """`count` tiny images, resized to the model's input."""
    images = tiny_images[0][:count]
    size = model.input_shape[1]
    return images if size == 12 else np.asarray(keras.ops.image.resize(images, (size, size)))


@pytest.fixture(params=sorted(MODELS))
def model(request):
    built = MODELS[request.param]()
    rng = np.random.default_rng(1)
    for variable in built.non_trainable_weights:  # batch-norm statistics as after training
        if "moving" not in variable.path:
            continue
        shape = tuple(variable.shape)
        variable.assign(rng.uniform(0.5, 1.5, shape) if "variance" in variable.path else rng.normal(0, 0.3, shape))
    return built


def test_flatten_and_unflatten_round_trip(model):
    layout = WeightLayout.of(model)
    vector = layout.flatten(model)
    assert vector.shape == (layout.n_params,) == (model.count_params() - sum(
        int(np.prod(w.shape)) for w in model.non_trainable_weights),)
    rows = layout.unflatten(np.stack([vector, vector * 2]))
    for original, row in zip(model.trainable_weights, rows):
        np.testing.assert_array_equal(row[0], np.asarray(original))
        np.testing.assert_array_equal(row[1], 2 * np.asarray(original))
    layout.assign(model, vector + 1)
    np.testing.assert_allclose(layout.flatten(model), vector + 1)
    with pytest.raises(ValueError, match="population"):
        layout.unflatten(vector)


def test_batched_fitness_equals_keras_individual_by_individual(model, tiny_images):
    images = images_for(model, tiny_images, 5)
    forward = PopulationForward(model)
    population = np.random.default_rng(2).normal(0, 0.3, (4, forward.layout.n_params)).astype(np.float32)
    outputs = np.asarray(forward.forward(population, images))
    mse, mae = forward.fitness(population, images), forward.fitness(population, images, loss="mae")
    for i, weights in enumerate(population):
        forward.layout.assign(model, weights)
        expected = model.predict(images, verbose=0)
        np.testing.assert_allclose(outputs[i], expected, atol=2e-5)
        np.testing.assert_allclose(mse[i], np.mean((expected - images) ** 2), rtol=1e-4)
        np.testing.assert_allclose(mae[i], np.mean(np.abs(expected - images)), rtol=1e-4)
    assert len(set(np.round(mse, 6))) == 4  # different weights, different fitness


@pytest.mark.slow
def test_bfloat16_scores_close_to_float32_and_keep_the_ranking(model, tiny_images):
    """bfloat16 keeps about three significant digits: each loss within a percent of float32's, and
    individuals whose losses differ by more than that rank the same."""
    if failure := bfloat16_failure():  # where trying it would abort this process (tests/weights/test_precision.py)
        pytest.skip(f"bfloat16 cannot run here: {failure}")
    images = images_for(model, tiny_images, 5)
    forward = PopulationForward(model)
    population = np.random.default_rng(2).normal(0, 0.3, (6, forward.layout.n_params)).astype(np.float32)
    exact = forward.fitness(population, images)
    fast = forward.fitness(population, images, precision="bfloat16")
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, exact, rtol=1e-2)
    apart = np.abs(exact[:, None] - exact[None]) > 0.03 * exact.max()
    assert (np.sign(fast[:, None] - fast[None]) == np.sign(exact[:, None] - exact[None]))[apart].all()
    assert not np.array_equal(fast, exact)  # it did run in bfloat16
    with pytest.raises(ValueError, match="precision must be one of float32, bfloat16"):
        forward.fitness(population, images, precision="float16")


def equals_keras_individual_by_individual(forward: PopulationForward, images: np.ndarray) -> np.ndarray:
    """The pass's outputs for 3 random weight vectors, each checked against Keras given those weights."""
    population = np.random.default_rng(2).normal(0, 0.3, (3, forward.layout.n_params)).astype(np.float32)
    outputs = np.asarray(forward.forward(population, images))
    for output, weights in zip(outputs, population):
        forward.layout.assign(forward.model, weights)
        np.testing.assert_allclose(output, forward.model.predict(images, verbose=0), atol=2e-5)
    return outputs


@pytest.mark.parametrize("formulation", every_formulation(), ids=str)
@pytest.mark.parametrize("name", ["valid transposed, stride 2", "evolved decoder", "transposed first, stride 2"])
def test_every_formulation_equals_keras(name, formulation, tiny_images):
    """Grouped convolutions as one call or one per individual, strided transposed ones as TensorFlow's
    grouped input gradient (oneDNN's kernels only) or as phases (keras.ops), each forced. CI runs this
    file again with oneDNN off, where the gradient cannot run and says so in one line."""
    if formulation.transposed == GRADIENT and not grouped_transposed_convolution_works():
        message = f"{formulation} cannot run here: this TensorFlow has no grouped"
        with pytest.raises(ValueError, match=re.escape(message)):
            PopulationForward(MODELS[name](), formulation)
        pytest.skip("this TensorFlow has no grouped Conv2DBackpropInput kernel (oneDNN off)")
    model = MODELS[name]()
    forward = PopulationForward(model, formulation)
    assert forward.formulation == formulation
    equals_keras_individual_by_individual(forward, images_for(model, tiny_images, 5))


@pytest.mark.parametrize("missing", ["grouped_transposed_convolution_works", "grouped_convolution_works"])
def test_where_a_grouped_kernel_is_missing_the_pass_does_without_it(missing, tiny_images, monkeypatch):
    """Where the probe finds TensorFlow's grouped gradient missing (its Eigen kernels, on a CPU without
    AVX-512), or its grouped convolution, the default pass splits the groups and runs the phases, and
    asking for what is missing is a one-line error."""
    monkeypatch.setattr(f"archsearch.weights.kernels.{missing}", lambda: False)
    model = MODELS["evolved decoder"]()
    forward = PopulationForward(model)
    assert forward.formulation == Formulation(SPLIT, PHASES)
    equals_keras_individual_by_individual(forward, images_for(model, tiny_images, 5))
    needed = Formulation(GROUPED, PHASES) if missing == "grouped_convolution_works" else Formulation(SPLIT, GRADIENT)
    with pytest.raises(ValueError, match=re.escape(f"the formulation {needed} cannot run here: ") + ".*; use"):
        PopulationForward(model, needed)


def test_formulations_parse_from_their_names():
    assert Formulation.parse("split+phases") == Formulation(SPLIT, PHASES)
    assert [str(f) for f in runnable_formulations()][0] == str(fastest_formulation())
    with pytest.raises(ValueError, match="one of grouped\\+gradient, grouped\\+phases, .* not 'im2col'"):
        Formulation.parse("im2col")


def test_the_kernel_probe_says_no_to_an_op_that_fails_or_disagrees():
    """`kernel_works` runs a candidate as the pass would and checks it against a reference; an op
    TensorFlow cannot run (here a convolution whose depths do not match) or a wrong answer is a no."""
    import tensorflow as tf

    x = np.ones((1, 5, 5, 3), np.float32)
    kernel = np.ones((3, 3, 2, 4), np.float32)

    def plain(x, kernel):
        return tf.nn.conv2d(x[..., :2], kernel, 1, "SAME")

    assert kernel_works(plain, plain, x, kernel)
    assert not kernel_works(lambda x, kernel: tf.nn.conv2d(x, kernel, 1, "SAME"), plain, x, kernel)
    assert not kernel_works(lambda x, kernel: plain(x, kernel) + 1e-2, plain, x, kernel)
    assert grouped_convolution_works()  # every TensorFlow 2.21 CPU build we know of has it


def test_a_fixed_target_can_differ_from_the_input(model, tiny_images):
    images = images_for(model, tiny_images, 3)
    forward = PopulationForward(model)
    population = np.zeros((2, forward.layout.n_params), np.float32)
    target = 0.1 + 0.8 * images  # the seed experiment scales targets to [0.1, 0.9]
    output = np.asarray(forward.forward(population, images))
    np.testing.assert_allclose(forward.fitness(population, images, target, loss="mae"),
                               np.abs(output - target[None]).reshape(2, -1).mean(axis=1), rtol=1e-5)


def small_cnn_classifier() -> keras.Model:
    """A convolution, pooling and a softmax over 3 classes: what weight evolution trains as a classifier."""
    image = keras.Input((12, 12, 1))
    x = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(image)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(image, keras.layers.Dense(3, activation="softmax")(x))


def test_cross_entropy_and_error_rate_equal_keras_own_on_the_same_weights(tiny_images):
    model = small_cnn_classifier()
    layout = WeightLayout.of(model)
    population = layout.initial(np.random.default_rng(3), 5) * 3  # spread out: confident, often wrong
    images = tiny_images[0][:40]
    labels = np.random.default_rng(4).integers(0, 3, len(images))
    forward = PopulationForward(model)
    cross_entropy = forward.fitness(population, images, labels, "crossentropy")
    error_rate = forward.fitness(population, images, labels, "error_rate")
    for i, vector in enumerate(population):
        layout.assign(model, vector)
        probabilities = model.predict(images, verbose=0)
        keras_loss = float(keras.losses.SparseCategoricalCrossentropy()(labels, probabilities))
        accuracy = keras.metrics.SparseCategoricalAccuracy()
        accuracy.update_state(labels, probabilities)
        assert cross_entropy[i] == pytest.approx(keras_loss, rel=1e-5, abs=1e-6)
        assert error_rate[i] == pytest.approx(1.0 - float(accuracy.result()), abs=1e-6)
    assert len(set(np.round(error_rate, 3))) > 1  # the individuals differ, so the check is not vacuous
    with pytest.raises(ValueError, match="needs the images' class labels"):
        forward.fitness(population, images, None, "crossentropy")
