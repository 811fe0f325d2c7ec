"""Shape planning: decides, in plain Python and before Keras is touched, what a genome builds into.

The plan lists the layers of encoder and decoder with their output shapes, mirrors the encoder when
the genome has no decoder genes, and repairs what can be repaired (a decoder that overshoots the input
is cropped). A genome that cannot work for this input shape raises `InvalidGenome` with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from archsearch.autoencoder.genome import Genome, LayerGene
from archsearch.core.errors import InvalidGenome

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerPlan:
    """One layer to build: `op` names the Keras layer family, `gene` carries its settings."""

    op: str  # conv, conv_transpose, pool, upsample, batchnorm, dropout, dense, flatten, reshape, crop, output
    shape: Shape
    gene: LayerGene | None = None
    units: int | None = None
    crop: tuple[tuple[int, int], tuple[int, int]] | None = None


@dataclass(frozen=True)
class ModelPlan:
    input_shape: Shape
    latent_size: int
    encoder: tuple[LayerPlan, ...]
    decoder: tuple[LayerPlan, ...]
    repairs: tuple[str, ...] = field(default=())


def plan_autoencoder(genome: Genome, input_shape: Shape) -> ModelPlan:
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise InvalidGenome(f"input shape must be (height, width, channels), got {input_shape}")
    encoder, spatial_shape = _plan_encoder(genome, input_shape)
    if genome.decoder is None:
        decoder, repairs = _plan_mirrored_decoder(genome, input_shape, spatial_shape)
    else:
        decoder, repairs = _plan_evolved_decoder(genome.decoder, input_shape, genome.latent_size)
    return ModelPlan(input_shape, genome.latent_size, tuple(encoder), tuple(decoder), tuple(repairs))


def _plan_encoder(genome: Genome, input_shape: Shape) -> tuple[list[LayerPlan], Shape | None]:
    """Returns the encoder's layers and the last spatial shape before flattening (None if never spatial)."""
    plans: list[LayerPlan] = []
    shape: Shape = input_shape
    last_spatial: Shape | None = input_shape
    for i, gene in enumerate(genome.encoder):
        if gene.is_spatial:
            if len(shape) != 3:
                raise InvalidGenome(f"encoder layer {i} ({gene.kind}) comes after a dense layer")
            h, w, c = shape
            if gene.scale > 1 and min(h, w) == 1:
                raise InvalidGenome(f"encoder layer {i} ({gene.kind}) would shrink a 1-pixel side of {h}x{w}")
            s = gene.scale
            shape = (math.ceil(h / s), math.ceil(w / s), gene.filters if gene.kind == "conv" else c)
            plans.append(LayerPlan(gene.kind, shape, gene))
            last_spatial = shape
        elif gene.kind == "dense":
            if len(shape) == 3:
                shape = (math.prod(shape),)
                plans.append(LayerPlan("flatten", shape))
            shape = (gene.units,)
            plans.append(LayerPlan("dense", shape, gene))
        else:
            plans.append(LayerPlan(gene.kind, shape, gene))
    if len(shape) == 3:
        plans.append(LayerPlan("flatten", (math.prod(shape),)))
    plans.append(LayerPlan("latent", (genome.latent_size,), units=genome.latent_size))
    return plans, last_spatial if genome.encoder and any(g.is_spatial for g in genome.encoder) else None


def _plan_mirrored_decoder(genome: Genome, input_shape: Shape,
                           spatial_shape: Shape | None) -> tuple[list[LayerPlan], list[str]]:
    """Reverses the encoder: dense layers, a reshape to the encoder's last spatial shape, then
    transposed convolutions and up-sampling back towards the input size."""
    first_dense = next((i for i, g in enumerate(genome.encoder) if g.kind == "dense"), len(genome.encoder))
    spatial_part, dense_part = genome.encoder[:first_dense], genome.encoder[first_dense:]
    plans = _flat_layers([g for g in reversed(dense_part) if g.kind == "dense"], (genome.latent_size,))
    if spatial_shape is None:
        return plans + _dense_output(input_shape), []
    plans += [LayerPlan("dense", (math.prod(spatial_shape),), units=math.prod(spatial_shape)),
              LayerPlan("reshape", spatial_shape)]
    return _grow(plans, list(reversed(spatial_part)), spatial_shape, input_shape)


def _plan_evolved_decoder(genes: tuple[LayerGene, ...], input_shape: Shape,
                          latent_size: int) -> tuple[list[LayerPlan], list[str]]:
    """Grows the decoder's own genes from a seed map sized so that its up-sampling reaches the input."""
    first_spatial = next((i for i, g in enumerate(genes) if g.is_spatial), len(genes))
    plans = _flat_layers(list(genes[:first_spatial]), (latent_size,))
    spatial_genes = list(genes[first_spatial:])
    if not spatial_genes:
        return plans + _dense_output(input_shape), []
    h, w, _ = input_shape
    factor = math.prod(g.scale for g in spatial_genes)
    if factor > min(h, w):
        raise InvalidGenome(f"decoder up-samples by {factor}, more than the {min(h, w)}-pixel side of the input")
    channels = next((g.filters for g in spatial_genes if g.kind == "conv"), 16)
    seed = (math.ceil(h / factor), math.ceil(w / factor), channels)
    plans += [LayerPlan("dense", (math.prod(seed),), units=math.prod(seed)), LayerPlan("reshape", seed)]
    return _grow(plans, spatial_genes, seed, input_shape)


def _flat_layers(genes: list[LayerGene], shape: Shape) -> list[LayerPlan]:
    plans = []
    for gene in genes:
        shape = (gene.units,) if gene.kind == "dense" else shape
        plans.append(LayerPlan(gene.kind, shape, gene))
    return plans


def _grow(plans: list[LayerPlan], genes: list[LayerGene], shape: Shape,
          input_shape: Shape) -> tuple[list[LayerPlan], list[str]]:
    for gene in genes:
        h, w, c = shape
        s = gene.scale
        if gene.kind == "conv":
            shape = (h * s, w * s, gene.filters)
            plans.append(LayerPlan("conv_transpose", shape, gene))
        elif gene.kind == "pool":
            shape = (h * 2, w * 2, c)
            plans.append(LayerPlan("upsample", shape, gene))
        else:
            plans.append(LayerPlan(gene.kind, shape, gene))
    h, w, _ = shape
    target_h, target_w, channels = input_shape
    plans.append(LayerPlan("output", (h, w, channels)))
    repairs = []
    if (h, w) != (target_h, target_w):
        if h < target_h or w < target_w:
            raise InvalidGenome(f"decoder output {h}x{w} is smaller than the input {target_h}x{target_w}")
        crop = ((h - target_h) // 2, (h - target_h + 1) // 2), ((w - target_w) // 2, (w - target_w + 1) // 2)
        plans.append(LayerPlan("crop", input_shape, crop=crop))
        repairs.append(f"decoder output {h}x{w} cropped to {target_h}x{target_w}")
    return plans, repairs


def _dense_output(input_shape: Shape) -> list[LayerPlan]:
    return [LayerPlan("dense_output", (math.prod(input_shape),), units=math.prod(input_shape)),
            LayerPlan("reshape", input_shape)]
