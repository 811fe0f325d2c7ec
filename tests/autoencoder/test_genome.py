import json

import numpy as np
import pytest

from archsearch.autoencoder.genome import Genome, LayerGene, TrainingGenes
from archsearch.core.errors import GenomeError


def test_json_round_trip_keeps_every_genome_of_every_space(any_space):
    rng = np.random.default_rng(1)
    for _ in range(200):
        genome = any_space.sample(rng)
        again = Genome.from_json(genome.to_json())
        assert again == genome
        assert again.key == genome.key
        assert hash(again) == hash(genome)


def test_key_is_stable_and_content_based():
    genome = Genome((LayerGene("conv", filters=8, kernel=3, stride=2, activation="relu"),), 16,
                    TrainingGenes("adam", 0.001, 64, "mse"))
    # The key is a content hash: fixed across processes and runs, so journals from earlier runs match.
    assert genome.key == Genome.from_dict(json.loads(genome.to_json())).key
    assert len(genome.key) == 16
    changed = Genome(genome.encoder, 32, genome.training)
    assert changed.key != genome.key
    reordered = Genome((LayerGene("pool"),) + genome.encoder, 16, genome.training)
    assert reordered.key != Genome(genome.encoder + (LayerGene("pool"),), 16, genome.training).key


def test_genomes_are_frozen_and_accept_lists():
    genome = Genome([LayerGene("dense", units=32, activation="relu")], 2)
    assert isinstance(genome.encoder, tuple)
    with pytest.raises(AttributeError):
        genome.latent_size = 3  # type: ignore[misc]


@pytest.mark.parametrize("text, message", [
    ('{"encoder": [], "latent_size": 4, "colour": 1}', "unknown field"),
    ('{"encoder": [{"kind": "lstm"}], "latent_size": 4}', "kind must be one of"),
    ('{"latent_size": 4}', "missing or malformed"),
    ('[1, 2]', "expected an object"),
    ('{not json', "not valid JSON"),
])
def test_bad_genome_documents_raise_one_clear_error(text, message):
    with pytest.raises(GenomeError, match=message):
        Genome.from_json(text)


@pytest.mark.parametrize("content, message", [
    (bytes(range(128, 256)), "not a readable genome file"),
    (b'{"encoder": [', "not valid JSON"),
    (b'{"encoder": [], "latent_size": 8, "colour": 1}', r"unknown field\(s\) colour"),
])
def test_a_damaged_genome_file_is_one_line_naming_it(content, message, tmp_path):
    path = tmp_path / "genome.json"
    path.write_bytes(content)
    with pytest.raises(GenomeError, match=f"genome.json: .*{message}") as caught:
        Genome.from_file(path)
    assert len(str(caught.value).splitlines()) == 1
    genome = Genome((LayerGene("dense", units=8, activation="tanh"),), 2)
    path.write_text(genome.to_json())
    assert Genome.from_file(path) == genome
