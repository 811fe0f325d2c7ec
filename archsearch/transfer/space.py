"""The transfer space: how a pretrained network (the backbone) is reused for classification, as a `Space`
of specs read from its TOML file and fitted to the backbone's depth.

A candidate (`Params`) keeps the backbone's first `included` cut points (the places where it can be cut
into a model of its own: every layer of a plain stack, the end of each block in a network with
branches) and freezes `frozen_share` of them, counted from the input (`frozen_count`). Freezing a share,
not a count, makes every value of every gene valid together, so sampling, mutation, crossover, repair,
keys and the encodings DE and TPE read all come from the specs. The head (`dropout`, `head_units`) and
training (`learning_rate`, `batch_size`) genes follow; what they build is `transfer.model`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from archsearch.core.errors import GenomeError, SpaceError
from archsearch.core.genomes import register_kind
from archsearch.core.params import Range
from archsearch.core.space.params import Params
from archsearch.core.space.space import Space
from archsearch.core.space_files import (
    FieldRule,
    SpaceReader,
    dropout_rate,
    non_negative,
    positive,
    read_space_document,
)

DEFAULT_TRANSFER_SPACE = "transfer_learning"
TOP_KEYS = {"name", "description", "backbone", "head", "training"}
BACKPROP_GENES = ("learning_rate", "batch_size")  # what fine-tuning without gradients does not read

# The type and check of every gene field a transfer space file sets.
GENE_FIELDS = {"share": FieldRule(float, check=lambda v: None if 0 <= v <= 1 else f"a share lies in [0, 1], got {v}"),
               "learning_rate": FieldRule(float, check=positive), "rate": FieldRule(float, check=dropout_rate),
               "head_units": FieldRule(int, check=non_negative), "batch_size": FieldRule(int, check=positive)}


def transfer_genes(included: int, frozen_share: float = 0.0, dropout: float = 0.0, head_units: int = 0,
                   learning_rate: float = 1e-3, batch_size: int = 64) -> Params:
    """One candidate; with the defaults, what a person tries first: the whole backbone (`included` = its
    depth) fine-tuned, nothing frozen, a softmax on its features, Adam at Keras's 1e-3, batch 64."""
    return Params({"included": included, "frozen_share": frozen_share, "dropout": dropout,
                   "head_units": head_units, "learning_rate": learning_rate, "batch_size": batch_size})


def frozen_count(genes: Mapping[str, Any]) -> int:
    """How many of the kept cut points, from the input, keep their pretrained weights fixed."""
    return int(round(genes["frozen_share"] * genes["included"]))


def _older_document(data: dict[str, Any]) -> Params:
    """The genes of a journal written before they were `Params` (kind "transfer", `frozen` a count)."""
    try:
        included = int(data["included"])
        return transfer_genes(included, int(data["frozen"]) / included, float(data["dropout"]),
                              int(data["head_units"]), float(data["learning_rate"]), int(data["batch_size"]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise GenomeError(f"transfer genome: missing or malformed field {exc}") from None


register_kind("transfer", _older_document)


def weight_evolution_key(genes: Params) -> str:
    """The candidate's key with its backprop genes left out: equal for genes that fine-tuning without
    gradients cannot tell apart, so such a candidate is trained once."""
    return Params({name: value for name, value in genes.items() if name not in BACKPROP_GENES}).key


def read_transfer_document(name_or_path: str | Path | None) -> tuple[dict[str, Any], str]:
    """The parsed file and its path; `parse_transfer_space` checks it."""
    return read_space_document(name_or_path or DEFAULT_TRANSFER_SPACE)


def load_transfer_space(name_or_path: str | Path | None, depth: int) -> Space:
    """The space of the file, for a backbone of `depth` cut points."""
    document, source = read_transfer_document(name_or_path)
    return parse_transfer_space(document, depth, source)


def parse_transfer_space(document: dict[str, Any], depth: int, source: str = "<memory>") -> Space:
    """The space of a parsed file, refusing anything malformed with a one-line `SpaceError` naming the file
    and the key. `included` is capped to the backbone's `depth`."""
    reader = SpaceReader(source, GENE_FIELDS)
    if "encoder" in document:
        raise SpaceError(source, "encoder", "this is an autoencoder space: search it with `archsearch search`")
    reader.keys(document, "", TOP_KEYS, required={"name", "backbone", "head", "training"})
    name = document["name"]
    if not isinstance(name, str) or not name:
        raise SpaceError(source, "name", "must be a non-empty string")
    backbone = reader.table(document["backbone"], "backbone")
    if "frozen" in backbone:
        raise SpaceError(source, "backbone.frozen", "now backbone.frozen_share: the share of the kept cut points "
                                                    "that is frozen, in [0, 1] (e.g. { min = 0.0, max = 1.0 })")
    reader.keys(backbone, "backbone", {"included", "frozen_share"}, required={"included", "frozen_share"})
    head = reader.table(document["head"], "head")
    reader.keys(head, "head", {"units", "dropout"}, required={"units", "dropout"})
    training = reader.table(document["training"], "training")
    reader.keys(training, "training", {"learning_rate", "batch_size"}, required={"learning_rate", "batch_size"})
    if depth < 1:
        raise SpaceError(source, "backbone", f"the backbone has no layer to keep (depth {depth})")
    low, high = _included_range(reader, backbone["included"])
    high = depth if high is None else min(high, depth)
    specs = {"included": Range(min(low, high), high, integer=True),
             "frozen_share": reader.spec(backbone["frozen_share"], "backbone.frozen_share", "share"),
             "dropout": reader.spec(head["dropout"], "head.dropout", "rate"),
             "head_units": reader.spec(head["units"], "head.units", "head_units"),
             "learning_rate": reader.spec(training["learning_rate"], "training.learning_rate", "learning_rate"),
             "batch_size": reader.spec(training["batch_size"], "training.batch_size", "batch_size")}
    # Every strategy's first candidate: what a person tries first, or the nearest the file allows.
    rng = np.random.default_rng(0)
    first = {name: specs[name].nearest(value, rng) for name, value in transfer_genes(depth).items()}
    return Space(specs, name=name, default=first, description=str(document.get("description", "")))


def _included_range(reader: SpaceReader, value: Any) -> tuple[int, int | None]:
    """Cut points kept: a number or {min, max}, where max may be "depth" (the whole backbone: None)."""
    key = "backbone.included"
    if not isinstance(value, dict):
        fixed = reader.integer(value, key, 1)
        return fixed, fixed
    reader.keys(value, key, {"min", "max"}, required={"min", "max"})
    low = reader.integer(value["min"], f"{key}.min", 1)
    if value["max"] == "depth":
        return low, None
    if isinstance(value["max"], str):
        raise SpaceError(reader.source, f"{key}.max", f"must be an integer or \"depth\", got {value['max']!r}")
    high = reader.integer(value["max"], f"{key}.max", 1)
    if low > high:
        raise SpaceError(reader.source, key, f"min ({low}) > max ({high})")
    return low, high
