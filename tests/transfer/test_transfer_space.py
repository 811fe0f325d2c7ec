"""Transfer genes: frozen <= included <= depth, whatever samples, repairs, mutates or crosses them."""

import json

import numpy as np
import pytest

from archsearch.autoencoder.space_file import load_space
from archsearch.core.errors import GenomeError, SpaceError
from archsearch.core.records import EvaluationRecord, EvaluationResult
from archsearch.transfer.genome import TransferGenome
from archsearch.transfer.space_file import load_transfer_space, parse_transfer_space

DOCUMENT = {
    "name": "t", "backbone": {"included": {"min": 2, "max": "depth"}, "frozen": {"min": 0, "max": "included"}},
    "head": {"units": [0, 64], "dropout": {"min": 0.0, "max": 0.5}},
    "training": {"learning_rate": {"min": 1e-4, "max": 1e-2, "log": True}, "batch_size": [32, 64]},
}


def legal(genome: TransferGenome, depth: int) -> bool:
    return 0 <= genome.frozen <= genome.included <= depth


@pytest.mark.parametrize("depth", [1, 3, 8, 200])
def test_every_operator_keeps_frozen_within_included_within_depth(depth):
    space, rng = load_transfer_space("transfer_learning", depth), np.random.default_rng(depth)
    genomes = [space.sample(rng) for _ in range(100)]
    for first, second in zip(genomes, genomes[1:]):
        children = [*space.crossover(first, second, rng), space.mutate(first, rng)[0]]
        for genome in [first, *children]:
            assert legal(genome, depth) and space.problems(genome) == []
    assert max(g.included for g in genomes) == depth  # "depth" in the file means the whole backbone
    if depth > 1:
        assert len({(g.included, g.frozen) for g in genomes}) > 5


def test_ranges_adapt_to_the_backbone_depth():
    shallow, deep = parse_transfer_space(DOCUMENT, 3), parse_transfer_space(DOCUMENT, 50)
    assert (shallow.included.low, shallow.included.high) == (2, 3)
    assert (deep.included.low, deep.included.high) == (2, 50)
    tiny = parse_transfer_space(DOCUMENT, 1)  # a minimum above the depth is capped to it
    assert (tiny.included.low, tiny.included.high) == (1, 1)
    capped = parse_transfer_space({**DOCUMENT, "backbone": {"included": {"min": 1, "max": 4},
                                                            "frozen": {"min": 1, "max": 2}}}, 10)
    assert capped.included.high == 4 and capped.frozen_range(4) == (1, 2) and capped.frozen_range(1) == (1, 1)


def test_problems_name_each_broken_gene_and_repair_mends_them():
    space, rng = parse_transfer_space(DOCUMENT, 6), np.random.default_rng(0)
    broken = TransferGenome(included=9, frozen=12, learning_rate=1.0, dropout=0.9, head_units=7, batch_size=64)
    found = " | ".join(space.problems(broken))
    for name in ("included", "frozen", "learning_rate", "dropout", "head_units"):
        assert name in found
    assert "batch_size" not in found
    repaired = space.repair(TransferGenome(included=4, frozen=5), rng)
    assert (repaired.included, repaired.frozen) == (4, 4) and space.problems(repaired) == []


def test_transfer_genome_round_trips_through_json_and_the_journal():
    genome = TransferGenome(included=5, frozen=2, learning_rate=3e-4, dropout=0.25, head_units=128, batch_size=32)
    assert TransferGenome.from_json(genome.to_json()) == genome
    assert TransferGenome.from_json(genome.to_json()).key == genome.key
    result = EvaluationResult("ok", fitness=0.2, params=10, metrics={"val_accuracy": 0.8})
    record = EvaluationRecord(3, 1, genome, result)
    assert EvaluationRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record
    with pytest.raises(GenomeError, match="unknown field"):
        TransferGenome.from_dict({**genome.to_dict(), "frozn": 1})


@pytest.mark.parametrize("change, key", [
    ({"backbone": {"included": {"min": 1, "max": "all"}, "frozen": 0}}, "backbone.included.max"),
    ({"backbone": {"included": {"min": 3, "max": 2}, "frozen": 0}}, "backbone.included"),
    ({"backbone": {"included": 2, "frozen": -1}}, "backbone.frozen"),
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
