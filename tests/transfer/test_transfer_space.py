"""Transfer genes as a space of specs: frozen <= included <= depth whatever samples, repairs, mutates or
crosses them, and the file's faults named by key."""

import json

import numpy as np
import pytest

from archsearch.autoencoder.space_file import load_space
from archsearch.core.errors import GenomeError, SpaceError
from archsearch.core.genomes import genome_from_dict
from archsearch.core.records import EvaluationRecord, EvaluationResult
from archsearch.core.space.encodings import decode_vector, vector_length
from archsearch.transfer.space import (
    frozen_count,
    load_transfer_space,
    parse_transfer_space,
    transfer_genes,
    weight_evolution_key,
)

DOCUMENT = {
    "name": "t", "backbone": {"included": {"min": 2, "max": "depth"}, "frozen_share": {"min": 0.0, "max": 1.0}},
    "head": {"units": [0, 64], "dropout": {"min": 0.0, "max": 0.5}},
    "training": {"learning_rate": {"min": 1e-4, "max": 1e-2, "log": True}, "batch_size": [32, 64]},
}


@pytest.mark.parametrize("depth", [1, 3, 8, 200])
def test_every_operator_keeps_frozen_within_included_within_depth(depth):
    space, rng = load_transfer_space("transfer_learning", depth), np.random.default_rng(depth)
    genomes = [space.sample(rng) for _ in range(100)]
    for first, second in zip(genomes, genomes[1:]):
        children = [*space.crossover(first, second, rng), space.mutate(first, rng)[0]]
        for genes in [first, *children]:
            assert 0 <= frozen_count(genes) <= genes["included"] <= depth and space.problems(genes) == []
    assert dict(space.root.members)["included"].high == depth  # "depth" in the file: the whole backbone
    assert max(g["included"] for g in genomes) > depth * 0.9
    if depth > 1:
        assert len({(g["included"], frozen_count(g)) for g in genomes}) > 5


def test_any_vector_decodes_to_valid_genes():
    space, rng = parse_transfer_space(DOCUMENT, 7), np.random.default_rng(1)
    for _ in range(50):
        genes = space.from_values(decode_vector(space.root, rng.random(vector_length(space.root))))
        assert space.problems(genes) == [] and 0 <= frozen_count(genes) <= genes["included"]


def test_ranges_adapt_to_the_backbone_depth_and_the_default_is_the_whole_backbone():
    shallow, deep = parse_transfer_space(DOCUMENT, 3), parse_transfer_space(DOCUMENT, 50)
    included = [dict(s.root.members)["included"] for s in (shallow, deep)]
    assert [(spec.low, spec.high) for spec in included] == [(2, 3), (2, 50)]
    assert deep.default == transfer_genes(50)  # kept whole, nothing frozen, Keras's defaults
    tiny = parse_transfer_space(DOCUMENT, 1)  # a minimum above the depth is capped to it
    assert tiny.default["included"] == 1
    capped = parse_transfer_space({**DOCUMENT, "backbone": {"included": {"min": 1, "max": 4},
                                                            "frozen_share": 0.5}, "training": {
        "learning_rate": 3e-3, "batch_size": [32]}}, 10)
    assert capped.default == transfer_genes(4, 0.5, learning_rate=3e-3, batch_size=32)  # the nearest it allows


def test_problems_name_each_broken_gene_and_repair_mends_them():
    space, rng = parse_transfer_space(DOCUMENT, 6), np.random.default_rng(0)
    broken = transfer_genes(9, 1.5, learning_rate=1.0, dropout=0.9, head_units=7, batch_size=64)
    found = " | ".join(space.problems(broken))
    for name in ("included", "frozen_share", "learning_rate", "dropout", "head_units"):
        assert name in found
    assert "batch_size" not in found
    repaired = space.repair(broken, rng)
    assert (repaired["included"], frozen_count(repaired)) == (6, 6) and space.problems(repaired) == []


def test_genes_round_trip_through_the_journal_and_older_documents_still_read():
    genes = transfer_genes(5, 0.4, learning_rate=3e-4, dropout=0.25, head_units=128, batch_size=32)
    result = EvaluationResult("ok", fitness=0.2, params=10, metrics={"val_accuracy": 0.8})
    record = EvaluationRecord(3, 1, genes, result)
    assert EvaluationRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    older = {"kind": "transfer", "included": 5, "frozen": 2, "learning_rate": 3e-4, "dropout": 0.25,
             "head_units": 128, "batch_size": 32}  # a journal written before the genes were Params
    assert genome_from_dict(older) == genes and frozen_count(genes) == 2
    with pytest.raises(GenomeError, match="transfer genome: missing or malformed field"):
        genome_from_dict({**older, "frozen": "two"})


def test_weight_evolution_ignores_the_backprop_genes():
    assert weight_evolution_key(transfer_genes(4, learning_rate=1e-2)) == weight_evolution_key(transfer_genes(4))
    assert weight_evolution_key(transfer_genes(4, 0.5)) != weight_evolution_key(transfer_genes(4))


@pytest.mark.parametrize("change, key", [
    ({"backbone": {"included": {"min": 1, "max": "all"}, "frozen_share": 0.0}}, "backbone.included.max"),
    ({"backbone": {"included": {"min": 3, "max": 2}, "frozen_share": 0.0}}, "backbone.included"),
    ({"backbone": {"included": 2, "frozen_share": 1.5}}, "backbone.frozen_share"),
    ({"backbone": {"included": 2, "frozen": {"min": 0, "max": "included"}}}, "backbone.frozen"),
    ({"head": {"units": [-1, 64], "dropout": 0.1}}, "head.units"),
    ({"head": {"units": [64], "dropout": 1.5}}, "head.dropout"),
    ({"training": {"learning_rate": 1e-3}}, "training.batch_size"),
    ({"optimizer": "adam"}, "optimizer"),
])
def test_malformed_files_name_the_key(change, key):
    with pytest.raises(SpaceError, match=f": {key}: "):
        parse_transfer_space({**DOCUMENT, **change}, 5, "space.toml")


def test_each_kind_of_space_file_refuses_the_other_command():
    with pytest.raises(SpaceError, match="archsearch transfer"):
        load_space("transfer_learning")
    with pytest.raises(SpaceError, match="archsearch search"):
        load_transfer_space("conv_autoencoder", 4)
