"""Genomes: plain, frozen data that fully describes one autoencoder candidate.

A genome imports nothing from Keras, DEAP or Optuna, so it pickles across processes, round-trips
through JSON and hashes stably (`Genome.key`) for de-duplication. What the genes *mean* as layers is
the builder's business; which values are *allowed* is the search space's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from archsearch.core.errors import GenomeError
from archsearch.core.genomes import DEFAULT_KIND, JsonGenome, register_kind

LAYER_KINDS = ("conv", "pool", "batchnorm", "dropout", "dense")
SPATIAL_KINDS = frozenset({"conv", "pool"})


@dataclass(frozen=True)
class LayerGene:
    """One layer. Only the fields that matter for `kind` are set; the others stay None.

    conv: filters, kernel, stride, activation. pool: none (2x2 max-pool). batchnorm: none.
    dropout: rate. dense: units, activation.
    """

    kind: str
    filters: int | None = None
    kernel: int | None = None
    stride: int | None = None
    activation: str | None = None
    units: int | None = None
    rate: float | None = None

    @property
    def is_spatial(self) -> bool:
        return self.kind in SPATIAL_KINDS

    @property
    def scale(self) -> int:
        """The factor by which this layer shrinks (encoder) or grows (decoder) each spatial side."""
        if self.kind == "pool":
            return 2
        if self.kind == "conv":
            return self.stride or 1
        return 1

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LayerGene":
        _check_keys(data, cls, "layer gene")
        if data.get("kind") not in LAYER_KINDS:
            raise GenomeError(f"layer gene: kind must be one of {LAYER_KINDS}, got {data.get('kind')!r}")
        return cls(**data)


@dataclass(frozen=True)
class TrainingGenes:
    """How the candidate is trained by backprop."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 64
    loss: str = "mse"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingGenes":
        _check_keys(data, cls, "training genes")
        return cls(**data)


@dataclass(frozen=True)
class Genome(JsonGenome):
    """An autoencoder candidate: encoder genes, latent size, decoder genes and training genes.

    `decoder` is None when the space mirrors the encoder; otherwise it lists the decoder's own genes,
    from the latent code outwards.
    """

    encoder: tuple[LayerGene, ...]
    latent_size: int
    training: TrainingGenes = TrainingGenes()
    decoder: tuple[LayerGene, ...] | None = None

    def __post_init__(self) -> None:
        # Accept lists for convenience, but store tuples so the genome stays hashable.
        object.__setattr__(self, "encoder", tuple(self.encoder))
        if self.decoder is not None:
            object.__setattr__(self, "decoder", tuple(self.decoder))

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoder": [g.to_dict() for g in self.encoder],
            "latent_size": self.latent_size,
            "decoder": None if self.decoder is None else [g.to_dict() for g in self.decoder],
            "training": asdict(self.training),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Genome":
        if not isinstance(data, dict):
            raise GenomeError(f"genome: expected an object, got {type(data).__name__}")
        _check_keys(data, cls, "genome")
        try:
            decoder = data.get("decoder")
            return cls(
                encoder=tuple(LayerGene.from_dict(g) for g in data["encoder"]),
                latent_size=int(data["latent_size"]),
                decoder=None if decoder is None else tuple(LayerGene.from_dict(g) for g in decoder),
                training=TrainingGenes.from_dict(data.get("training", {})),
            )
        except (KeyError, TypeError) as exc:
            raise GenomeError(f"genome: missing or malformed field {exc}") from None

    @property
    def architecture_key(self) -> str:
        """`key` with the training genes left out: equal for genomes an inner loop that ignores those
        genes (weight evolution) cannot tell apart, so the search trains such a candidate once."""
        return replace(self, training=TrainingGenes()).key

    def table_columns(self) -> dict[str, Any]:
        """The main genes as columns of the run's evaluation table."""
        t = self.training
        return {"latent_size": self.latent_size, "encoder_layers": len(self.encoder), "optimizer": t.optimizer,
                "learning_rate": t.learning_rate, "batch_size": t.batch_size, "loss": t.loss}

    def describe(self) -> str:
        """A compact one-line description, for tables and progress output."""
        parts = [_describe_gene(g) for g in self.encoder] + [f"z{self.latent_size}"]
        if self.decoder is not None:
            parts += ["|"] + [_describe_gene(g) for g in self.decoder]
        return " ".join(parts)


def _describe_gene(gene: LayerGene) -> str:
    if gene.kind == "conv":
        return f"c{gene.filters}k{gene.kernel}s{gene.stride}"
    if gene.kind == "dense":
        return f"d{gene.units}"
    if gene.kind == "dropout":
        return f"drop{gene.rate:g}"
    return {"pool": "pool", "batchnorm": "bn"}[gene.kind]


def _check_keys(data: dict[str, Any], cls: type, what: str) -> None:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise GenomeError(f"{what}: unknown field(s) {', '.join(unknown)}")


register_kind(DEFAULT_KIND, Genome.from_dict)
