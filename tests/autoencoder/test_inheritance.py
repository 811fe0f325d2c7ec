"""Weight inheritance: which layers an offspring shares with its parent, and a search that uses it."""

import numpy as np
import pytest

from archsearch.autoencoder.backprop import BackpropEvaluator
from archsearch.autoencoder.genome import Genome, LayerGene
from archsearch.autoencoder.inheritance import WeightStore, inherit, weighted_layers
from archsearch.autoencoder.model import build_autoencoder

CONV8 = LayerGene("conv", filters=8, kernel=3, stride=2, activation="relu")
CONV16 = LayerGene("conv", filters=16, kernel=3, stride=1, activation="relu")


def test_shared_layers_inherit_in_order_past_an_inserted_layer(tmp_path):
    parent = build_autoencoder(Genome((CONV8, CONV16), latent_size=6), (12, 12, 1))
    child = build_autoencoder(Genome((CONV8, LayerGene("batchnorm"), CONV16), latent_size=6), (12, 12, 1))
    store = WeightStore(tmp_path)
    store.save("parent", parent.autoencoder)
    inherited = inherit(child.autoencoder, store.load("parent"))
    parent_layers, child_layers = weighted_layers(parent.autoencoder), weighted_layers(child.autoencoder)
    # All but the new batch-norm and its mirror in the decoder, whose neighbours moved by one place.
    assert inherited == len(parent_layers) == len(child_layers) - 2
    shared = [layer for layer in child_layers if "batchnorm" not in layer.name]
    for mine, theirs in zip(shared, parent_layers):
        assert all(np.array_equal(a, b) for a, b in zip(mine.get_weights(), theirs.get_weights()))


def test_a_changed_layer_and_everything_shaped_by_it_start_afresh(tmp_path):
    parent = build_autoencoder(Genome((CONV8, CONV16), latent_size=6), (12, 12, 1))
    wider = build_autoencoder(Genome((CONV8, LayerGene("conv", filters=32, kernel=3, stride=1, activation="relu")),
                                     latent_size=6), (12, 12, 1))
    store = WeightStore(tmp_path)
    store.save("parent", parent.autoencoder)
    before = [w.copy() for w in wider.autoencoder.get_weights()]
    inherited = inherit(wider.autoencoder, store.load("parent"))
    # Only the first conv is shared; the widened conv, the code layer reading its maps and the
    # decoder's matching layers all differ in shape.
    assert 1 <= inherited < len(weighted_layers(wider.autoencoder)) - 2
    changed = sum(not np.array_equal(a, b) for a, b in zip(before, wider.autoencoder.get_weights()))
    assert changed >= 2  # the first conv's kernel and bias
    assert store.load("never-trained") is None


@pytest.mark.slow
def test_search_with_inheritance_records_what_each_offspring_inherited(tmp_path, tiny_images):
    from archsearch.autoencoder.config import SearchConfig
    from archsearch.autoencoder.task import search
    from archsearch.core.data import Dataset

    x_train, x_test = tiny_images
    space = tmp_path / "space.toml"
    space.write_text(
        'name = "tiny"\n[encoder]\nmin_layers = 1\nmax_layers = 3\nkinds = ["conv", "batchnorm"]\n'
        'max_downsampling = 1\n[layers.conv]\nfilters = [4, 8]\nkernel = 3\nstride = [1, 2]\nactivation = "relu"\n'
        '[latent]\nsize = [4, 8]\n[training]\noptimizer = "adam"\nlearning_rate = 0.003\nbatch_size = 16\n'
        'loss = "mse"\n')
    config = SearchConfig(space=str(space), population=4, generations=2, train_size=48, val_size=16, epochs=1,
                          final_train_size=48, final_epochs=1, isolate=False, inherit_weights=True)
    report = search(config, tmp_path / "run", dataset=Dataset(x_train, x_test))
    trained = [r for r in report.records if r.cached_from is None and r.result.ok]
    assert all(r.result.metrics["inherited_layers"] == 0 for r in trained if not r.parents)
    offspring = [r for r in trained if r.parents]
    assert offspring and any(r.result.metrics["inherited_layers"] > 0 for r in offspring)
    assert len(list((tmp_path / "run" / "weights").glob("*.npz"))) == len({r.genome.key for r in trained})


def test_the_inherited_weights_are_what_dask_workers_must_reach(tiny_images, tmp_path):
    assert BackpropEvaluator(*tiny_images, weights_dir=str(tmp_path / "w")).shared_paths() == {
        str(tmp_path / "w"): "weights of --inherit-weights"}
    assert BackpropEvaluator(*tiny_images).shared_paths() == {}
