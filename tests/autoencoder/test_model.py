import numpy as np
import pytest

from archsearch.autoencoder.cost import plan_cost
from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.autoencoder.model import build_autoencoder, carries_means
from archsearch.autoencoder.plan import plan_autoencoder
from archsearch.core.errors import InvalidGenome


# Two shapes in the fast tier (square, odd and narrow); the other two build 24 more models.
@pytest.mark.parametrize("shape", [(28, 28, 1), (9, 30, 1), pytest.param((32, 20, 3), marks=pytest.mark.slow),
                                   pytest.param((64, 48, 2), marks=pytest.mark.slow)])
def test_every_sampled_genome_reproduces_the_input_shape(any_space, shape):
    import keras

    rng = np.random.default_rng(2)
    for _ in range(4):
        genome = any_space.sample(rng)
        try:
            built = build_autoencoder(genome, shape)
        except InvalidGenome as exc:
            assert exc.reason  # a genome that cannot work says why
            continue
        assert built.autoencoder.output_shape[1:] == shape
        assert built.encoder.output_shape[1:] == (genome.latent_size,)
        assert built.decoder.input_shape[1:] == (genome.latent_size,)
        # The plan predicts every shape before Keras builds anything.
        plan = plan_autoencoder(genome, shape)
        assert plan.encoder[-1].shape == (genome.latent_size,)
        assert built.params == built.encoder.count_params() + built.decoder.count_params()
        assert plan_cost(plan).params == built.params  # counted without Keras, as a surrogate needs
        keras.backend.clear_session()


def test_overshooting_decoder_is_cropped_and_says_so():
    genome = Genome((LayerGene("conv", filters=8, kernel=3, stride=2, activation="relu"),) * 3, 8,
                    TrainingGenes())
    plan = plan_autoencoder(genome, (28, 28, 1))  # 28 -> 14 -> 7 -> 4, back up to 32
    assert plan.repairs == ("decoder output 32x32 cropped to 28x28",)
    assert build_autoencoder(genome, (28, 28, 1)).autoencoder.output_shape[1:] == (28, 28, 1)


def test_impossible_genomes_are_invalid_with_a_reason():
    pools = Genome((LayerGene("pool"),) * 4, 8, TrainingGenes())
    with pytest.raises(InvalidGenome, match="1-pixel side"):
        plan_autoencoder(pools, (8, 30, 1))  # 8 -> 4 -> 2 -> 1, then one pool too many
    decoder = Genome((LayerGene("pool"),), 8, TrainingGenes(),
                     decoder=(LayerGene("conv", filters=8, kernel=3, stride=2, activation="relu"),) * 4)
    with pytest.raises(InvalidGenome, match="up-samples by 16"):
        plan_autoencoder(decoder, (12, 12, 1))


def test_parameter_limit_marks_oversized_genomes_invalid():
    big = Genome((LayerGene("dense", units=512, activation="relu"),), 8, TrainingGenes())
    with pytest.raises(InvalidGenome, match="over the limit"):
        build_autoencoder(big, (28, 28, 1), max_params=100_000)
    # the predicted clock charges it what refusing it costs, not a training it never gets
    from archsearch.autoencoder.cost import INVALID_SECONDS, predicted_seconds

    assert predicted_seconds(big, 6016, (28, 28, 1), max_params=100_000) == (INVALID_SECONDS, 0.0)
    seconds, training = predicted_seconds(big, 6016, (28, 28, 1))
    assert training > 0 and seconds > training > predicted_seconds(big, 3008, (28, 28, 1))[1]


@pytest.mark.parametrize("shape", [(12, 12, 3), (12, 10, 1)])
def test_a_centred_code_carries_the_channel_means_so_any_brightness_reconstructs_alike(shape, tmp_path):
    import keras

    genome = Genome((LayerGene("conv", filters=4, kernel=3, stride=2, activation="relu"),), 8, TrainingGenes())
    built = build_autoencoder(genome, shape, centred=True)
    images = np.random.default_rng(0).uniform(0, 0.6, (5, *shape)).astype("float32")
    means = images.mean(axis=(1, 2))
    code = built.encoder.predict(images, verbose=0)
    assert code.shape == (5, 8) and np.allclose(code[:, :shape[-1]], means, atol=1e-6)  # the code size as asked
    out = built.autoencoder.predict(images, verbose=0)
    assert np.allclose(out.mean(axis=(1, 2)), means, atol=1e-5)
    # brighter images come back brighter by as much, untrained as trained: the network never has to learn it
    assert np.allclose(built.autoencoder.predict(images + 0.3, verbose=0), out + 0.3, atol=1e-5)
    assert carries_means(built.encoder) and not carries_means(build_autoencoder(genome, shape).encoder)
    built.autoencoder.save(tmp_path / "model.keras")  # Keras's own layers: it loads as any export does
    assert np.allclose(keras.models.load_model(tmp_path / "model.keras").predict(images, verbose=0), out, atol=1e-6)


def test_a_code_with_no_room_beside_the_means_is_built_as_it_was():
    genome = Genome((LayerGene("conv", filters=4, kernel=3, stride=2, activation="relu"),), 3, TrainingGenes())
    built = build_autoencoder(genome, (12, 12, 3), centred=True)
    assert not carries_means(built.encoder) and built.encoder.output_shape[1:] == (3,)
