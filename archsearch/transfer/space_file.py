"""Reads a transfer-learning space from its TOML file and fits it to a backbone's depth, refusing
anything malformed with a one-line `SpaceError` naming the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archsearch.core.errors import SpaceError
from archsearch.core.params import Range
from archsearch.core.space_files import (
    FieldRule,
    SpaceReader,
    dropout_rate,
    non_negative,
    positive,
    read_space_document,
)
from archsearch.transfer.space import TransferSpace

DEFAULT_TRANSFER_SPACE = "transfer_learning"
TOP_KEYS = {"name", "description", "backbone", "head", "training"}

# The type and check of every gene field a transfer space file sets.
GENE_FIELDS = {"learning_rate": FieldRule(float, check=positive), "rate": FieldRule(float, check=dropout_rate),
               "head_units": FieldRule(int, check=non_negative), "batch_size": FieldRule(int, check=positive)}

def read_transfer_document(name_or_path: str | Path | None) -> tuple[dict[str, Any], str]:
    """The parsed file and its path; `parse_transfer_space` checks it."""
    return read_space_document(name_or_path or DEFAULT_TRANSFER_SPACE)


def load_transfer_space(name_or_path: str | Path | None, depth: int) -> TransferSpace:
    """The space of the file, for a backbone of `depth` cut points."""
    document, source = read_transfer_document(name_or_path)
    return parse_transfer_space(document, depth, source)


def parse_transfer_space(document: dict[str, Any], depth: int, source: str = "<memory>") -> TransferSpace:
    reader = SpaceReader(source, GENE_FIELDS)
    if "encoder" in document:
        raise SpaceError(source, "encoder", "this is an autoencoder space: search it with `archsearch search`")
    reader.keys(document, "", TOP_KEYS, required={"name", "backbone", "head", "training"})
    name = document["name"]
    if not isinstance(name, str) or not name:
        raise SpaceError(source, "name", "must be a non-empty string")
    backbone = reader.table(document["backbone"], "backbone")
    reader.keys(backbone, "backbone", {"included", "frozen"}, required={"included", "frozen"})
    head = reader.table(document["head"], "head")
    reader.keys(head, "head", {"units", "dropout"}, required={"units", "dropout"})
    training = reader.table(document["training"], "training")
    reader.keys(training, "training", {"learning_rate", "batch_size"}, required={"learning_rate", "batch_size"})
    included_low, included_high = _count_range(reader, backbone["included"], "backbone.included", "depth", 1)
    frozen_low, frozen_high = _count_range(reader, backbone["frozen"], "backbone.frozen", "included", 0)
    if depth < 1:
        raise SpaceError(source, "backbone", f"the backbone has no layer to keep (depth {depth})")
    high = depth if included_high is None else min(included_high, depth)
    return TransferSpace(
        name=name, depth=depth, included=Range(min(included_low, high), high, integer=True),
        frozen_low=frozen_low, frozen_high=frozen_high,
        specs={"learning_rate": reader.spec(training["learning_rate"], "training.learning_rate", "learning_rate"),
               "dropout": reader.spec(head["dropout"], "head.dropout", "rate"),
               "head_units": reader.spec(head["units"], "head.units", "head_units"),
               "batch_size": reader.spec(training["batch_size"], "training.batch_size", "batch_size")},
        source=source, description=str(document.get("description", "")), document=document)


def _count_range(reader: SpaceReader, value: Any, key: str, word: str, least: int) -> tuple[int, int | None]:
    """A count given as a number or {min, max}, where max may be `word` ("depth", "included"): no limit
    but that one (returned as None)."""
    if not isinstance(value, dict):
        fixed = reader.integer(value, key, least)
        return fixed, fixed
    reader.keys(value, key, {"min", "max"}, required={"min", "max"})
    low = reader.integer(value["min"], f"{key}.min", least)
    if value["max"] == word:
        return low, None
    if isinstance(value["max"], str):
        raise SpaceError(reader.source, f"{key}.max", f"must be an integer or \"{word}\", got {value['max']!r}")
    high = reader.integer(value["max"], f"{key}.max", least)
    if low > high:
        raise SpaceError(reader.source, key, f"min ({low}) > max ({high})")
    return low, high
