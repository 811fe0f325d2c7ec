"""What a planned autoencoder costs, in plain Python: its parameters and its multiply-adds per image.

Keras counts parameters only after it has built the model; a surrogate of the search scores thousands
of genomes a second, and a compute budget needs each candidate's cost before it trains, so both come
from the plan (`plan.plan_autoencoder`). The count equals Keras's (`count_params`, batch-norm's moving
statistics included); multiply-adds count convolutions, transposed convolutions and dense layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsearch.autoencoder.plan import LayerPlan, ModelPlan, Shape


@dataclass(frozen=True)
class Cost:
    params: int
    multiply_adds: int  # per image, forward pass


def plan_cost(plan: ModelPlan) -> Cost:
    """The parameters and forward multiply-adds of the encoder and decoder `plan` builds."""
    params = adds = 0
    for layers, shape in ((plan.encoder, plan.input_shape), (plan.decoder, (plan.latent_size,))):
        for layer in layers:
            layer_params, layer_adds = _layer_cost(layer, shape, plan.input_shape[-1])
            params, adds, shape = params + layer_params, adds + layer_adds, layer.shape
    return Cost(params, adds)


def _layer_cost(layer: LayerPlan, before: Shape, image_channels: int) -> tuple[int, int]:
    channels_in = before[-1]
    if layer.op in ("conv", "conv_transpose", "output"):
        kernel = 3 if layer.op == "output" else layer.gene.kernel
        filters = image_channels if layer.op == "output" else layer.gene.filters
        weights = kernel * kernel * channels_in * filters
        # a convolution applies its kernel at every output pixel; a transposed one at every input pixel
        pixels = math.prod(before[:2] if layer.op == "conv_transpose" else layer.shape[:2])
        return weights + filters, weights * pixels
    if layer.op in ("dense", "latent", "dense_output"):
        units, inputs = layer.shape[-1], math.prod(before)
        return inputs * units + units, inputs * units
    if layer.op == "batchnorm":
        return 4 * channels_in, 0  # scale, offset and the two moving statistics
    return 0, 0
