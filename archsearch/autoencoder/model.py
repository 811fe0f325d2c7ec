"""The builder: a pure function from a genome to Keras encoder, decoder and autoencoder models.

It knows nothing of evolution; it reads a genome (plain data) and an input shape. Shapes come from
`plan_autoencoder` before Keras builds anything, so an impossible genome fails fast with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.layers import make_layer
from archsearch.autoencoder.plan import LayerPlan, ModelPlan, Shape, plan_autoencoder
from archsearch.core.errors import InvalidGenome
from archsearch.training.saved import ENCODER


@dataclass
class Autoencoder:
    """The three models (sharing layers) and the plan they were built from."""

    encoder: keras.Model
    decoder: keras.Model
    autoencoder: keras.Model
    plan: ModelPlan

    @property
    def params(self) -> int:
        return int(self.autoencoder.count_params())


def build_autoencoder(genome: Genome, input_shape: Shape, max_params: int | None = None) -> Autoencoder:
    """Builds the models, or raises `InvalidGenome` (impossible shapes, or more than `max_params`)."""
    plan = plan_autoencoder(genome, tuple(input_shape))
    image = keras.Input(shape=plan.input_shape, name="image")
    encoder = keras.Model(image, _stack(image, plan.encoder, "enc"), name=ENCODER)
    code = keras.Input(shape=(plan.latent_size,), name="code")
    decoder = keras.Model(code, _stack(code, plan.decoder, "dec"), name="decoder")
    autoencoder = keras.Model(image, decoder(encoder(image)), name="autoencoder")
    built = Autoencoder(encoder, decoder, autoencoder, plan)
    if tuple(autoencoder.output_shape[1:]) != plan.input_shape:
        raise InvalidGenome(f"autoencoder output {autoencoder.output_shape[1:]} != input {plan.input_shape}")
    if max_params is not None and built.params > max_params:
        raise InvalidGenome(f"{built.params:,} parameters, over the limit of {max_params:,}")
    return built


def _stack(tensor, plans: tuple[LayerPlan, ...], prefix: str):
    for i, plan in enumerate(plans):
        tensor = make_layer(plan, f"{prefix}{i}_{plan.op}")(tensor)
    return tensor


def describe(built: Autoencoder) -> str:
    """A plain-text summary: every layer with its output shape and parameters, and the totals."""
    lines = [f"{'layer':<28}{'output shape':<22}{'params':>10}"]
    for model in (built.encoder, built.decoder):
        lines.append(f"-- {model.name}")
        for layer in model.layers[1:]:
            shape = tuple(layer.output.shape[1:])
            lines.append(f"{layer.name:<28}{str(shape):<22}{layer.count_params():>10,}")
    lines.append(f"total parameters: {built.params:,}")
    lines += [f"repair: {r}" for r in built.plan.repairs]
    return "\n".join(lines)
