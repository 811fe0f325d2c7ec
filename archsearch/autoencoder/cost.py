"""What a planned autoencoder costs, in plain Python: its parameters, its multiply-adds per image and the
seconds its training takes (`predicted_seconds`, the predicted clock's cost model).

Keras counts parameters only after it has built the model; a surrogate of the search scores thousands
of genomes a second, and a compute budget needs each candidate's cost before it trains, so both come
from the plan (`plan.plan_autoencoder`). The count equals Keras's (`count_params`, batch-norm's moving
statistics included); multiply-adds count convolutions, transposed convolutions and dense layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.plan import LayerPlan, ModelPlan, Shape, plan_autoencoder
from archsearch.core.errors import InvalidGenome


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


# Seconds an evaluation takes on the slower kind of 2-core machine (no AVX-512, so TensorFlow's oneDNN
# kernels off), two workers training at once: FIXED_SECONDS (building, tracing, scoring) plus the images
# it trains times exp(c0 + c1 ln multiply-adds + c2 ln batch size + c3 ln parameters + c4 layers) per
# image. Fitted by `benchmarks/cost_model.py` on 56 evaluations measured under that machine's stand-in
# (oneDNN off, a quota of 1.4 cores): held out by genome, median relative error 28%, Spearman 0.91, the
# sum 0.97x the measured one. The predicted clock counts these seconds, so the default time limit is
# about as many real seconds there, and fewer on a faster machine.
PER_IMAGE = (-12.4200, 0.7010, -0.1386, -0.3973, 0.1805)
FIXED_SECONDS = 1.6
INVALID_SECONDS = 0.1  # building a genome and refusing it (0.06 s measured)


def predicted_seconds(genome: Genome, images: int, input_shape: Shape,
                      max_params: int | None = None) -> tuple[float, float]:
    """(the whole evaluation, of it training) for `genome` trained on `images` images; an impossible
    genome, or one over `max_params`, costs what refusing it does."""
    try:
        plan = plan_autoencoder(genome, input_shape)
    except InvalidGenome:
        return INVALID_SECONDS, 0.0
    cost = plan_cost(plan)
    if max_params is not None and cost.params > max_params:
        return INVALID_SECONDS, 0.0
    c0, c1, c2, c3, c4 = PER_IMAGE
    per_image = math.exp(c0 + c1 * math.log(max(cost.multiply_adds, 1)) + c2 * math.log(genome.training.batch_size)
                         + c3 * math.log(max(cost.params, 1)) + c4 * len(genome.encoder))
    training = images * per_image
    return FIXED_SECONDS + training, training
