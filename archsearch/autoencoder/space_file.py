"""Reads a search space from a commented TOML file, refusing anything malformed with a one-line
`SpaceError` that names the file and the key (an unknown key, a wrong type, min > max, no choices)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from archsearch.autoencoder.genome import LAYER_KINDS, Genome
from archsearch.autoencoder.space import LAYER_FIELDS, TRAINING_FIELDS, SearchSpace, SequenceRules
from archsearch.core.errors import GenomeError, SpaceError
from archsearch.core.params import Spec
from archsearch.core.space_files import FieldRule, SpaceReader, dropout_rate, positive, read_space_document

DEFAULT_SPACE = "conv_autoencoder"
ACTIVATIONS = ("relu", "elu", "selu", "gelu", "swish", "tanh", "sigmoid", "linear")
# The type, the allowed values of a categorical one, and the check of every gene field a space file sets.
GENE_FIELDS = {
    "filters": FieldRule(int, check=positive), "kernel": FieldRule(int, check=positive),
    "stride": FieldRule(int, check=positive), "units": FieldRule(int, check=positive),
    "activation": FieldRule(str, ACTIVATIONS), "rate": FieldRule(float, check=dropout_rate),
    "size": FieldRule(int, check=positive), "optimizer": FieldRule(str, ("adam", "rmsprop", "sgd", "adamw")),
    "learning_rate": FieldRule(float, check=positive), "batch_size": FieldRule(int, check=positive),
    "loss": FieldRule(str, ("mse", "bce")),
}
TOP_KEYS = {"name", "description", "decoder", "encoder", "decoder_layers", "layers", "latent", "training", "default"}
SEQUENCE_KEYS = {"min_layers", "max_layers", "kinds", "max_downsampling", "max_upsampling"}


def load_space(name_or_path: str | Path | None = None) -> SearchSpace:
    return parse_space(*read_space_document(name_or_path or DEFAULT_SPACE))


def parse_space(document: dict[str, Any], source: str = "<memory>") -> SearchSpace:
    reader = AutoencoderSpaceReader(source)
    if "backbone" in document:
        raise SpaceError(source, "backbone", "this is a transfer-learning space: search it with `archsearch transfer`")
    reader.keys(document, "", TOP_KEYS, required={"name", "encoder", "layers", "latent", "training"})
    mode = document.get("decoder", "mirror")
    if mode not in ("mirror", "evolve"):
        raise SpaceError(source, "decoder", f"must be \"mirror\" or \"evolve\", got {mode!r}")
    encoder = reader.sequence(document["encoder"], "encoder", "max_downsampling", dense_first=False)
    decoder = None
    if mode == "evolve":
        if "decoder_layers" not in document:
            raise SpaceError(source, "decoder_layers", "required when decoder = \"evolve\"")
        decoder = reader.sequence(document["decoder_layers"], "decoder_layers", "max_upsampling", dense_first=True)
    elif "decoder_layers" in document:
        raise SpaceError(source, "decoder_layers", "only allowed when decoder = \"evolve\"")

    used = set(encoder.kinds) | set(decoder.kinds if decoder else ())
    layers = reader.table(document["layers"], "layers")
    reader.keys(layers, "layers", set(LAYER_KINDS))
    layer_specs: dict[str, dict[str, Spec]] = {}
    for kind in sorted(used):
        table = reader.table(layers.get(kind, {}), f"layers.{kind}")
        reader.keys(table, f"layers.{kind}", set(LAYER_FIELDS[kind]), required=set(LAYER_FIELDS[kind]))
        layer_specs[kind] = {f: reader.spec(table[f], f"layers.{kind}.{f}", f) for f in LAYER_FIELDS[kind]}

    latent = reader.table(document["latent"], "latent")
    reader.keys(latent, "latent", {"size"}, required={"size"})
    training = reader.table(document["training"], "training")
    reader.keys(training, "training", set(TRAINING_FIELDS), required=set(TRAINING_FIELDS))
    name = document["name"]
    if not isinstance(name, str) or not name:
        raise SpaceError(source, "name", "must be a non-empty string")
    space = SearchSpace(
        name=name,
        decoder_mode=mode,
        encoder=encoder,
        decoder=decoder,
        layer_specs=layer_specs,
        latent_size=reader.spec(latent["size"], "latent.size", "size"),
        training={f: reader.spec(training[f], f"training.{f}", f) for f in TRAINING_FIELDS},
        source=source,
        description=str(document.get("description", "")),
    )
    return replace(space, default=reader.default_genome(document["default"], space)) if "default" in document else space


class AutoencoderSpaceReader(SpaceReader):
    """`SpaceReader` with the autoencoder space's own tables: layer sequences and the `[default]` genome."""

    def __init__(self, source: str) -> None:
        super().__init__(source, GENE_FIELDS)

    def default_genome(self, value: Any, space: SearchSpace) -> Genome:
        """The `[default]` table: a genome (as in genome.json) that the space itself allows."""
        try:
            genome = Genome.from_dict(self.table(value, "default"))
        except GenomeError as exc:
            raise self.fail("default", str(exc)) from None
        problems = space.problems(genome)
        if problems:
            raise self.fail("default", f"outside the space: {problems[0]}")
        return genome

    def sequence(self, value: Any, where: str, resampling_key: str, dense_first: bool) -> SequenceRules:
        table = self.table(value, where)
        allowed = {"min_layers", "max_layers", "kinds", resampling_key}
        self.keys(table, where, allowed, required={"min_layers", "max_layers", "kinds"})
        low = self.integer(table["min_layers"], f"{where}.min_layers", 0)
        high = self.integer(table["max_layers"], f"{where}.max_layers", 1)
        if low > high:
            raise self.fail(f"{where}.min_layers", f"min_layers ({low}) > max_layers ({high})")
        kinds = table["kinds"]
        if not isinstance(kinds, list) or not kinds:
            raise self.fail(f"{where}.kinds", "must be a non-empty list of layer kinds")
        for kind in kinds:
            if kind not in LAYER_KINDS:
                raise self.fail(f"{where}.kinds", f"unknown layer kind {kind!r} (known: {', '.join(LAYER_KINDS)})")
        if len(set(kinds)) != len(kinds):
            raise self.fail(f"{where}.kinds", "lists a kind twice")
        if set(kinds) <= {"pool"} and low > 0:
            raise self.fail(f"{where}.kinds", "needs a kind other than pool")
        limit = self.integer(table.get(resampling_key, 4), f"{where}.{resampling_key}", 0)
        return SequenceRules(low, high, tuple(kinds), limit, dense_first)
