import numpy as np
import pytest

from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.autoencoder.space_file import load_space, parse_space
from archsearch.core.errors import SpaceError


def test_samples_are_valid_and_varied(any_space):
    rng = np.random.default_rng(0)
    genomes = [any_space.sample(rng) for _ in range(500)]
    assert all(any_space.problems(g) == [] for g in genomes)
    assert len({g.key for g in genomes}) > 400
    depths = {len(g.encoder) for g in genomes}
    assert depths == set(range(any_space.encoder.min_layers, any_space.encoder.max_layers + 1))


def test_validation_names_each_problem(conv_space):
    genome = Genome(
        encoder=(LayerGene("dense", units=64, activation="relu"),
                 LayerGene("conv", filters=7, kernel=3, stride=1, activation="relu")),
        latent_size=5, training=TrainingGenes("adam", 0.5, 64, "mse"))
    problems = "\n".join(conv_space.problems(genome))
    assert "encoder[1].filters: 7" in problems
    assert "out of order" in problems
    assert "latent_size: 5" in problems
    assert "training.learning_rate: 0.5" in problems


def test_repair_makes_any_broken_genome_valid(any_space):
    rng = np.random.default_rng(3)
    kinds = ["conv", "pool", "batchnorm", "dropout", "dense"]
    for _ in range(300):
        genes = tuple(LayerGene(kind, filters=int(rng.integers(1, 200)), kernel=int(rng.integers(1, 9)),
                                stride=int(rng.integers(1, 4)), activation="relu", units=int(rng.integers(1, 999)),
                                rate=float(rng.random()))
                      for kind in rng.choice(kinds, size=int(rng.integers(0, 12))))
        broken = Genome(genes, int(rng.integers(1, 100)),
                        TrainingGenes("sgd", float(rng.random()), int(rng.integers(1, 999)), "mse"),
                        decoder=genes if rng.random() < 0.5 else None)
        repaired = any_space.repair(broken, rng)
        assert any_space.problems(repaired) == [], any_space.problems(repaired)


def test_repair_keeps_a_valid_genome_unchanged(any_space):
    rng = np.random.default_rng(4)
    for _ in range(100):
        genome = any_space.sample(rng)
        assert any_space.repair(genome, rng) == genome


def test_resampling_limit_is_enforced(conv_space):
    pools = tuple(LayerGene("pool") for _ in range(5))
    genome = conv_space.repair(Genome(pools, 16, TrainingGenes("adam", 1e-3, 64, "mse")), np.random.default_rng(0))
    assert sum(g.scale > 1 for g in genome.encoder) == conv_space.encoder.max_resampling


VALID = {
    "name": "t", "encoder": {"min_layers": 1, "max_layers": 2, "kinds": ["conv"]},
    "layers": {"conv": {"filters": [8], "kernel": [3], "stride": [1, 2], "activation": ["relu"]}},
    "latent": {"size": [4, 8]},
    "training": {"optimizer": ["adam"], "learning_rate": {"min": 1e-3, "max": 1e-2, "log": True},
                 "batch_size": [32], "loss": ["mse"]},
}


def _with(path: str, value):
    import copy

    document = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target = document
    for key in parents:
        target = target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return document


_DELETE = object()


@pytest.mark.parametrize("path, value, key, message", [
    ("colour", "red", "colour", "unknown key"),
    ("layers.conv.fliters", [8], "layers.conv.fliters", "unknown key"),
    ("layers.conv.filters", [], "layers.conv.filters", "empty choice list"),
    ("layers.conv.filters", ["eight"], "layers.conv.filters", "must be an int"),
    ("latent.size", {"min": 9, "max": 3}, "latent.size", "min (9) > max (3)"),
    ("encoder.min_layers", 5, "encoder.min_layers", "min_layers (5) > max_layers (2)"),
    ("encoder.kinds", ["conv", "lstm"], "encoder.kinds", "unknown layer kind"),
    ("training.loss", ["hinge"], "training.loss", "unknown value"),
    ("training.learning_rate", {"min": 0.0, "max": 1.0, "log": True}, "training.learning_rate.min", "positive"),
    ("latent.size", {"min": 2, "max": 8, "log": "yes"}, "latent.size.log", "true or false"),
    ("training.batch_size", _DELETE, "training.batch_size", "missing"),
    ("decoder", "sideways", "decoder", "mirror"),
    ("decoder", "evolve", "decoder_layers", "required"),
    ("default", {"encoder": [], "latent_size": 4}, "default", "outside the space"),
    ("default", {"encoder": [{"kind": "conv", "filters": 8, "kernel": 3, "stride": 2, "activation": "relu"}],
                 "latent_size": 5}, "default", "outside the space"),
    ("default", {"latent_size": 4}, "default", "missing"),
])
def test_malformed_spaces_name_the_file_and_key(path, value, key, message):
    with pytest.raises(SpaceError) as caught:
        parse_space(_with(path, value), "spaces/t.toml")
    assert caught.value.key == key
    assert message in str(caught.value)
    assert str(caught.value).startswith("spaces/t.toml: ")
    assert "\n" not in str(caught.value)


def test_a_valid_document_parses():
    space = parse_space(VALID)
    assert space.latent_size.values == (4, 8)
    assert space.training["learning_rate"].log


def test_toml_syntax_errors_name_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("name = \n")
    with pytest.raises(SpaceError, match="broken.toml: syntax"):
        load_space(path)


def test_a_space_file_that_is_not_text_is_one_line_naming_it(tmp_path, capsys):
    from archsearch.cli.main import main

    path = tmp_path / "picture.toml"
    path.write_bytes(bytes(range(128, 256)))
    with pytest.raises(SpaceError, match="picture.toml: file: cannot be read as a text file"):
        load_space(path)
    for command in (["search", str(path)], ["transfer", str(path), "--backbone", str(path)]):
        assert main([*command, "--out", str(tmp_path / "never")]) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and "picture.toml" in error[0] and "text file" in error[0], error
    assert not (tmp_path / "never").exists()


def test_the_default_genes_are_read_from_the_file():
    default = {"encoder": [{"kind": "conv", "filters": 8, "kernel": 3, "stride": 2, "activation": "relu"}],
               "latent_size": 8, "training": {"optimizer": "adam", "learning_rate": 2e-3, "batch_size": 32,
                                              "loss": "mse"}}
    space = parse_space(_with("default", default))
    assert space.default.latent_size == 8 and space.default.encoder[0].stride == 2
    assert parse_space(VALID).default is None
