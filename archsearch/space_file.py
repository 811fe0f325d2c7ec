"""Reads a search space from a commented TOML file, refusing anything malformed with a one-line
`SpaceError` that names the file and the key (an unknown key, a wrong type, min > max, no choices)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from archsearch.errors import GenomeError, SpaceError
from archsearch.genome import LAYER_KINDS, Genome
from archsearch.params import Choice, Range, Spec
from archsearch.space import LAYER_FIELDS, TRAINING_FIELDS, SearchSpace, SequenceRules

SPACES_DIR = Path(__file__).resolve().parent.parent / "search_spaces"
DEFAULT_SPACE = "conv_autoencoder"

ACTIVATIONS = ("relu", "elu", "selu", "gelu", "swish", "tanh", "sigmoid", "linear")
# The type and, for categorical genes, the allowed values of every gene field.
FIELD_TYPES: dict[str, tuple[type, tuple[Any, ...] | None]] = {
    "filters": (int, None), "kernel": (int, None), "stride": (int, None), "units": (int, None),
    "activation": (str, ACTIVATIONS), "rate": (float, None), "size": (int, None),
    "optimizer": (str, ("adam", "rmsprop", "sgd", "adamw")), "learning_rate": (float, None),
    "batch_size": (int, None), "loss": (str, ("mse", "bce")), "head_units": (int, None),
}
POSITIVE = {"filters", "kernel", "stride", "units", "size", "learning_rate", "batch_size"}
TOP_KEYS = {"name", "description", "decoder", "encoder", "decoder_layers", "layers", "latent", "training", "default"}
SEQUENCE_KEYS = {"min_layers", "max_layers", "kinds", "max_downsampling", "max_upsampling"}


def resolve_space_path(name_or_path: str | Path | None) -> Path:
    """A bare name means `search_spaces/NAME.toml`; anything else is a path."""
    name = str(name_or_path or DEFAULT_SPACE)
    path = Path(name)
    if path.suffix != ".toml" and not path.exists():
        path = SPACES_DIR / f"{name}.toml"
    return path


def read_space_document(name_or_path: str | Path | None) -> tuple[dict[str, Any], str]:
    """The parsed TOML of a space file (of any kind) and its path; a file that is missing, unreadable,
    not text or not TOML is one `SpaceError` naming it."""
    path = resolve_space_path(name_or_path)
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in SPACES_DIR.glob("*.toml")))
        raise SpaceError(str(path), "file", f"no such search space (built in: {available})")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpaceError(str(path), "file", f"cannot be read as a text file ({exc})") from None
    try:
        return tomllib.loads(text), str(path)
    except tomllib.TOMLDecodeError as exc:
        raise SpaceError(str(path), "syntax", str(exc)) from None


def load_space(name_or_path: str | Path | None = None) -> SearchSpace:
    return parse_space(*read_space_document(name_or_path))


def parse_space(document: dict[str, Any], source: str = "<memory>") -> SearchSpace:
    reader = SpaceReader(source)
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
        document=document,
    )
    return replace(space, default=reader.default_genome(document["default"], space)) if "default" in document else space


class SpaceReader:
    """Checks one document, raising `SpaceError(source, key, problem)` at the first fault."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> SpaceError:
        return SpaceError(self.source, key, problem)

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, got {type(value).__name__}")
        return value

    def keys(self, table: dict[str, Any], where: str, allowed: set[str], required: set[str] = frozenset()) -> None:
        prefix = f"{where}." if where else ""
        for key in table:
            if key not in allowed:
                raise self.fail(prefix + key, f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required):
            if key not in table:
                raise self.fail(prefix + key, "missing")

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

    def integer(self, value: Any, key: str, minimum: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"must be an integer, got {value!r}")
        if value < minimum:
            raise self.fail(key, f"must be at least {minimum}, got {value}")
        return value

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

    def spec(self, value: Any, key: str, field_name: str) -> Spec:
        kind, allowed = FIELD_TYPES[field_name]
        if isinstance(value, list):
            if not value:
                raise self.fail(key, "empty choice list")
            values = tuple(self.scalar(v, key, kind, allowed, field_name) for v in value)
            if len(set(values)) != len(values):
                raise self.fail(key, "lists a value twice")
            return Choice(values)
        if isinstance(value, dict):
            self.keys(value, key, {"min", "max", "log"}, required={"min", "max"})
            if kind is str:
                raise self.fail(key, "a categorical gene takes a list of choices, not a range")
            low = self.scalar(value["min"], f"{key}.min", kind, None, field_name)
            high = self.scalar(value["max"], f"{key}.max", kind, None, field_name)
            if low > high:
                raise self.fail(key, f"min ({low}) > max ({high})")
            log = value.get("log", False)
            if not isinstance(log, bool):
                raise self.fail(f"{key}.log", f"must be true or false, got {log!r}")
            if log and low <= 0:
                raise self.fail(key, "a log range needs min > 0")
            return Range(low, high, integer=kind is int, log=log)
        # A single scalar is a fixed gene: a one-element choice.
        return Choice((self.scalar(value, key, kind, allowed, field_name),))

    def scalar(self, value: Any, key: str, kind: type, allowed: tuple[Any, ...] | None, field_name: str) -> Any:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.fail(key, f"must be {'a' if kind is not int else 'an'} {kind.__name__}, got {value!r}")
        if allowed is not None and value not in allowed:
            raise self.fail(key, f"unknown value {value!r} (allowed: {', '.join(allowed)})")
        if field_name in POSITIVE and value <= 0:
            raise self.fail(key, f"must be positive, got {value}")
        if field_name == "head_units" and value < 0:
            raise self.fail(key, f"must be 0 (no hidden layer) or more, got {value}")
        if field_name == "rate" and not 0 <= value < 1:
            raise self.fail(key, f"a dropout rate lies in [0, 1), got {value}")
        return value
