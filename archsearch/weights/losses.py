"""The fitness a weight evolution minimises, named once (no Keras here, so the command line can list them)."""

RECONSTRUCTION_LOSSES = ("mse", "mae")  # against target images (by default the inputs)
CLASSIFICATION_LOSSES = ("crossentropy", "error_rate")  # a softmax output against integer class labels
LOSSES = RECONSTRUCTION_LOSSES + CLASSIFICATION_LOSSES
