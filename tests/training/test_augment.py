"""Augmenting a stream of images for reconstruction: each transform is a symmetry of the image (pixels
moved, none changed), drawn per stream position from the seed, so a continued training sees what an
uninterrupted one does, and training with it learns something else than training without."""

import numpy as np
import pytest
from conftest import textures

from archsearch.autoencoder.backprop import BackpropEvaluator
from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.core.fidelity import Fidelity
from archsearch.tasks.evaluator import EpochSettings
from archsearch.training.augment import AUGMENTATIONS, Augmentation, suited_augmentation


def asymmetric(shape, count=1):
    """Images with no symmetry: every transform of them is a different image."""
    return np.arange(count * int(np.prod(shape)), dtype=np.float32).reshape(count, *shape)


@pytest.mark.parametrize("name, shape, count", [("none", (4, 4), 1), ("flips", (4, 4), 2), ("turns", (4, 4), 8),
                                                 ("turns", (4, 6), 4), ("turns+colours", (4, 4, 3), 48),
                                                 ("turns+colours", (4, 4), 8), ("turns", (16,), 1)])
def test_each_transform_moves_pixels_and_no_two_give_the_same_image(name, shape, count):
    augment = Augmentation(name, shape)
    assert augment.count == count
    image = asymmetric(shape)
    made = [augment.apply(image, np.array([code]))[0] for code in range(count)]
    assert np.array_equal(made[0], image[0])  # code 0: as it is
    assert len({m.tobytes() for m in made}) == count
    assert all(m.shape == image.shape[1:] and sorted(m.ravel()) == sorted(image.ravel()) for m in made)


def test_a_batch_is_transformed_image_by_image():
    augment = Augmentation("turns", (3, 3, 1))
    images, codes = asymmetric((3, 3, 1), 5), np.array([0, 3, 5, 3, 7])
    batch = augment.apply(images, codes)
    assert all(np.array_equal(batch[i], augment.apply(images[i:i + 1], codes[i:i + 1])[0]) for i in range(5))


def test_transforms_follow_the_seed_and_the_stream_position_and_split_anywhere():
    augment = Augmentation("turns", (8, 8))
    whole = augment.codes(50, seed=3, start=0, stop=170)
    assert np.array_equal(np.concatenate([augment.codes(50, 3, 0, 64), augment.codes(50, 3, 64, 170)]), whole)
    assert set(whole) == set(range(8)) and not np.array_equal(whole[:50], whole[50:100])
    assert not np.array_equal(augment.codes(50, 4, 0, 170), whole)


def test_an_unknown_augmentation_is_refused_by_name():
    with pytest.raises(ValueError, match="mirror"):
        Augmentation("mirror", (8, 8))
    assert "none" in AUGMENTATIONS


@pytest.mark.slow
def test_training_on_an_augmented_stream_repeats_for_a_seed_and_differs_from_plain_training(tiny_images):
    x_train, x_val = tiny_images
    fidelity = Fidelity(128, 128)
    g = Genome((LayerGene("conv", filters=8, kernel=3, stride=2, activation="relu"),), latent_size=8,
               training=TrainingGenes(learning_rate=3e-3, batch_size=32))

    def fitness(augment):
        return BackpropEvaluator(x_train, x_val, EpochSettings(), augment=augment).evaluate(g, 5, (), fidelity).fitness

    turned = fitness("turns")
    assert turned == fitness("turns") and turned != fitness("none")


@pytest.mark.parametrize("mark, suited", [("", "turns"), ("band", "flips"), ("corner", "none")])
def test_the_augmentation_left_to_the_data_is_the_largest_its_statistics_keep(mark, suited):
    assert suited_augmentation(textures(300, 0, mark)) == suited
    assert suited_augmentation(textures(300, 0, mark)[..., 0]) == suited  # (H, W) images alike


def test_nothing_to_turn_gets_no_augmentation():
    assert suited_augmentation(textures(300, 0).reshape(300, -1)) == "none"  # vectors
    assert suited_augmentation(np.zeros((300, 12, 12, 1), np.float32)) == "none"  # no variation to fit
    assert suited_augmentation(textures(3, 0)) == "none"  # too few images to tell


def test_a_file_sorted_by_source_is_judged_on_all_of_it():
    mixed = np.concatenate([textures(200, 0), textures(200, 1, "corner")])  # upright objects after the photos
    assert suited_augmentation(mixed) == "none"
