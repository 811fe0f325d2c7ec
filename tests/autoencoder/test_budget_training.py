"""Training to a budget of images seen (multi-fidelity), on tiny synthetic images: the stream, exact
continuation from a checkpoint, failures as data."""

import numpy as np
import pytest

from archsearch.autoencoder.backprop import BackpropEvaluator, compile_autoencoder
from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.autoencoder.model import build_autoencoder
from archsearch.core.fidelity import Fidelity
from archsearch.tasks.evaluator import EpochSettings
from archsearch.training.budgeted import load_model_variables, stream_indices
from archsearch.training.keras_parts import fresh_keras_state


def genome(**training) -> Genome:
    encoder = (LayerGene("conv", filters=8, kernel=3, stride=2, activation="relu"), LayerGene("dropout", rate=0.2))
    return Genome(encoder, latent_size=8, training=TrainingGenes(**{"learning_rate": 3e-3, "batch_size": 32,
                                                                      **training}))


def test_the_stream_visits_every_image_once_per_pass_in_a_seeded_order():
    first = stream_indices(50, seed=3, start=0, stop=150)
    assert [sorted(first[p * 50:(p + 1) * 50]) for p in range(3)] == [list(range(50))] * 3
    assert not np.array_equal(first[:50], first[50:100])  # each pass is shuffled anew
    assert np.array_equal(np.concatenate([stream_indices(50, 3, 0, 70), stream_indices(50, 3, 70, 150)]), first)
    assert not np.array_equal(stream_indices(50, 4, 0, 150), first)


def test_fidelity_refuses_a_continuation_without_its_checkpoint():
    with pytest.raises(ValueError):
        Fidelity(budget=64, schedule_budget=128, start=32)
    with pytest.raises(ValueError):
        Fidelity(budget=256, schedule_budget=128)


def trained_weights(evaluator, g, fidelity, seed=5):
    fresh_keras_state(seed)
    built = build_autoencoder(g, evaluator.x_train.shape[1:], centred=evaluator.centred)
    load_model_variables(built.autoencoder, fidelity.checkpoint)
    return [np.asarray(w) for w in built.autoencoder.weights]


@pytest.mark.slow
@pytest.mark.parametrize("optimizer, augment, centred", [("adam", "none", False), ("rmsprop", "none", False),
                                                         ("adam", "turns", True)])
def test_continued_training_equals_uninterrupted_training(tiny_images, tmp_path, optimizer, augment, centred):
    x_train, x_val = tiny_images
    evaluator = BackpropEvaluator(x_train, x_val, EpochSettings(), augment=augment, centred=centred)
    g = genome(optimizer=optimizer)
    straight = evaluator.evaluate(g, 5, (), Fidelity(384, 384, checkpoint=str(tmp_path / "straight.npz")))
    steps, start = [], 0
    for budget in (64, 192, 384):  # a new model each step, as a promoted candidate in another process
        fidelity = Fidelity(budget, 384, start, str(tmp_path / f"{start}.npz") if start else None,
                            str(tmp_path / f"{budget}.npz"))
        steps.append(evaluator.evaluate(g, 5, (), fidelity))
        start = budget
    assert all(r.ok for r in [straight, *steps])
    assert steps[-1].fitness == pytest.approx(straight.fitness, rel=1e-5)
    assert steps[0].fitness > steps[-1].fitness  # more training, lower validation error
    for a, b in zip(trained_weights(evaluator, g, Fidelity(384, 384, checkpoint=str(tmp_path / "straight.npz"))),
                    trained_weights(evaluator, g, Fidelity(384, 384, checkpoint=str(tmp_path / "384.npz")))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_diverging_candidate_is_a_failure_and_keeps_no_checkpoint(tiny_images, tmp_path):
    x_train, x_val = tiny_images
    result = BackpropEvaluator(x_train * 1e30, x_val, EpochSettings()).evaluate(
        genome(learning_rate=1e-2), 5, (), Fidelity(128, 128, checkpoint=str(tmp_path / "c.npz")))
    assert result.status == "failed" and "NaN" in result.reason
    assert not (tmp_path / "c.npz").exists()


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_partial_one(tmp_path):
    from archsearch.core.atomic_write import write_atomically

    path = tmp_path / "checkpoint.npz"
    write_atomically(path, b"old")

    def half_then_fail(handle):
        handle.write(b"ne")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, half_then_fail)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"


@pytest.mark.slow  # trains models: seconds
def test_a_scheduled_compile_reports_mse_only_when_asked():
    """Our budgeted training scores afterwards, so it skips the metric; a peer on Keras's `fit` asks for it."""
    images = np.random.default_rng(0).random((8, 8, 8, 1), dtype=np.float32)
    logged = {}
    for report in (False, True):
        fresh_keras_state(0)
        model = build_autoencoder(genome(), images.shape[1:]).autoencoder
        compile_autoencoder(model, genome().training, schedule_budget=64, report_mse=report)
        logged[report] = set(model.fit(images, images, epochs=1, verbose=0).history)
    assert "mse" not in logged[False] and "mse" in logged[True]
