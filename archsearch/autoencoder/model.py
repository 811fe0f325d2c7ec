"""The builder: a pure function from a genome to Keras encoder, decoder and autoencoder models.

It knows nothing of evolution; it reads a genome (plain data) and an input shape. Shapes come from
`plan_autoencoder` before Keras builds anything, so an impossible genome fails fast with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import keras

from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.layers import make_layer
from archsearch.autoencoder.plan import LayerPlan, ModelPlan, Shape, plan_autoencoder
from archsearch.core.errors import InvalidGenome
from archsearch.training.saved import ENCODER

MEANS = "enc_means"  # the layer taking each image's channel means, in a centred encoder


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


def build_autoencoder(genome: Genome, input_shape: Shape, max_params: int | None = None,
                      centred: bool = False) -> Autoencoder:
    """Builds the models, or raises `InvalidGenome` (impossible shapes, or more than `max_params`).

    `centred`: the first C of the code's numbers are the image's mean in each of its C channels, taken
    out before the encoder and put back as the output's means. A network reconstructs the colours and
    brightness it trained on; PCA, being linear, carries any image's mean. On a few photos the means are
    where a network loses to PCA on a photo it never saw (`benchmarks/README.md`): carried exactly, they
    no longer are. Only where the code has room for them and more; the code size stays the genome's."""
    channels = input_shape[-1]
    centred = centred and genome.latent_size > channels
    inner = replace(genome, latent_size=genome.latent_size - channels) if centred else genome
    plan = plan_autoencoder(inner, tuple(input_shape))
    image = keras.Input(shape=plan.input_shape, name="image")
    code = keras.Input(shape=(genome.latent_size,), name="code")
    if centred:
        encoded, decoded = _centred(image, code, plan, channels)
    else:
        encoded, decoded = _stack(image, plan.encoder, "enc"), _stack(code, plan.decoder, "dec")
    encoder = keras.Model(image, encoded, name=ENCODER)
    decoder = keras.Model(code, decoded, name="decoder")
    autoencoder = keras.Model(image, decoder(encoder(image)), name="autoencoder")
    built = Autoencoder(encoder, decoder, autoencoder, plan)
    if tuple(autoencoder.output_shape[1:]) != plan.input_shape:
        raise InvalidGenome(f"autoencoder output {autoencoder.output_shape[1:]} != input {plan.input_shape}")
    if max_params is not None and built.params > max_params:
        raise InvalidGenome(f"{built.params:,} parameters, over the limit of {max_params:,}")
    return built


def _centred(image, code, plan: ModelPlan, channels: int):
    """The encoder's and decoder's outputs with the channel means carried in the code's first numbers
    (Keras's own layers only, so the saved model loads without archsearch)."""
    kl = keras.layers
    means = kl.GlobalAveragePooling2D(keepdims=True, name=MEANS)(image)
    learned = _stack(kl.Subtract(name="enc_centred")([image, means]), plan.encoder, "enc")
    encoded = kl.Concatenate(name="enc_code")([kl.Flatten(name="enc_means_flat")(means), learned])
    column = kl.Reshape((code.shape[-1], 1), name="dec_column")(code)
    rest = code.shape[-1] - channels
    carried = kl.Reshape((1, 1, channels), name="dec_means")(kl.Cropping1D((0, rest), name="dec_means_in")(column))
    learned_code = kl.Reshape((rest,), name="dec_learned")(kl.Cropping1D((channels, 0), name="dec_learned_in")(column))
    shaped = _stack(learned_code, plan.decoder, "dec")
    own_means = kl.GlobalAveragePooling2D(keepdims=True, name="dec_own_means")(shaped)
    return encoded, kl.Add(name="dec_recentred")([kl.Subtract(name="dec_centred")([shaped, own_means]), carried])


def carries_means(encoder: keras.Model) -> bool:
    """Whether an encoder (built here, or loaded from an export) carries the channel means in its code."""
    return any(layer.name == MEANS for layer in encoder.layers)


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
