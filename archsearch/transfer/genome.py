"""Transfer genes: how a pretrained network (the backbone) is reused for a new classification task.

Plain frozen data, like `Genome`: no Keras, no DEAP, a JSON round trip and a stable hash. The backbone
is counted in *cut points*, the places where it can be cut into a model of its own (every layer of a
plain stack; the end of each block in a network with branches). `included` cut points are kept from
the input onwards, and the first `frozen` of them keep their pretrained weights fixed, so
0 <= frozen <= included <= the backbone's depth. Which values are allowed is the `TransferSpace`'s
business; what they build is `transfer.model`'s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar

from archsearch.core.errors import GenomeError
from archsearch.core.genomes import JsonGenome, register_kind

KIND = "transfer"


@dataclass(frozen=True)
class TransferGenome(JsonGenome):
    """One way of reusing a backbone: how much of it, how much frozen, and how the new head trains."""

    document_name: ClassVar[str] = "transfer genome"

    included: int  # cut points of the backbone kept, from the input
    frozen: int  # of those, how many (from the input) are not trained
    learning_rate: float = 1e-3
    dropout: float = 0.0  # before the new head's layers
    head_units: int = 0  # a hidden dense layer of this width before the softmax; 0: none
    batch_size: int = 64

    def to_dict(self) -> dict[str, Any]:
        return {"kind": KIND, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TransferGenome":
        if not isinstance(data, dict):
            raise GenomeError(f"transfer genome: expected an object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)} | {"kind"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise GenomeError(f"transfer genome: unknown field(s) {', '.join(unknown)}")
        try:
            return cls(included=int(data["included"]), frozen=int(data["frozen"]),
                       learning_rate=float(data["learning_rate"]), dropout=float(data["dropout"]),
                       head_units=int(data["head_units"]), batch_size=int(data["batch_size"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise GenomeError(f"transfer genome: missing or malformed field {exc}") from None

    @property
    def architecture_key(self) -> str:
        """`key` with the backprop genes (learning rate, batch size) at their defaults: equal for genes that
        fine-tuning without gradients cannot tell apart, so such a candidate is trained once."""
        defaults = {f.name: f.default for f in fields(self) if f.name in ("learning_rate", "batch_size")}
        return replace(self, **defaults).key

    def describe(self) -> str:
        head = f"head {self.head_units}" if self.head_units else "no hidden head"
        return (f"keep {self.included}, freeze {self.frozen}, lr {self.learning_rate:g}, "
                f"dropout {self.dropout:g}, {head}, batch {self.batch_size}")

    def table_columns(self) -> dict[str, Any]:
        """The genes as columns of the run's evaluation table."""
        return asdict(self)


register_kind(KIND, TransferGenome.from_dict)
