import numpy as np
import pytest

from archsearch.autoencoder.cost import plan_cost
from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.autoencoder.model import build_autoencoder
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
