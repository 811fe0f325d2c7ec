"""Label-free augmentation of a stream of images, for training that reconstructs its input.

On a small data set a candidate sees each image many times and learns those few images: on a few
photos, features that do not carry to other photos, where PCA's linear map does. Mirroring and quarter
turns keep what natural images have in common (edges, textures, gradients at every orientation), so the
network sees many more images of the same kind; permuting colour channels keeps shapes and shuffles the
palette. Each stream position's transform follows from the candidate's seed, the pass and the image, as
the stream's order does (`training.budgeted.stream_indices`): a training continued from a checkpoint
sees exactly what an uninterrupted one would.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from archsearch.training.stream import stream_slice

AUGMENTATIONS = ("none", "flips", "turns", "turns+colours")
# A transform the data "allows" when PCA of the upright images reconstructs transformed ones at most this
# much worse: random photo crops measure 1.00 to 1.04, Fashion-MNIST 1.3 to 1.6 (mirrored), 1.7 to 2.3 (turned).
ALLOWED_ERROR_RATIO = 1.2


@dataclass(frozen=True)
class Augmentation:
    """One of `AUGMENTATIONS` for images of one shape: (H, W) or (H, W, C) (vectors are left as they are)."""

    name: str
    image_shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.name not in AUGMENTATIONS:
            raise ValueError(f"augmentation {self.name!r}: unknown (known: {', '.join(AUGMENTATIONS)})")

    @property
    def geometric(self) -> int:
        """Transforms of the plane: 1; 2 (mirrored or not); 8 (the square's symmetries) or 4 (a rectangle's)."""
        if self.name == "none" or len(self.image_shape) < 2:  # vectors: no plane to turn
            return 1
        if self.name == "flips":
            return 2
        return 8 if self.image_shape[0] == self.image_shape[1] else 4

    @property
    def palettes(self) -> list[tuple[int, ...]]:
        """Orders of the colour channels: every permutation with colours, else the given order only."""
        channels = self.image_shape[2] if len(self.image_shape) == 3 else 1
        if self.name != "turns+colours" or channels == 1:
            return [tuple(range(channels))]
        return list(itertools.permutations(range(channels)))

    @property
    def count(self) -> int:
        return self.geometric * len(self.palettes)

    def codes(self, n: int, seed: int, start: int, stop: int) -> np.ndarray:
        """The transform of positions start..stop of the stream over n images (pass p: drawn per image
        from (seed, p), apart from the stream's order)."""
        return stream_slice(n, start, stop,
                            lambda number: np.random.default_rng([seed, number, 1]).integers(0, self.count, n))

    def apply(self, images: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """`images` (N, *image_shape), each transformed by its code; code 0 leaves an image as it is."""
        if self.count == 1:
            return images
        out = np.empty_like(images)
        palettes = self.palettes
        for code in np.unique(codes):
            chosen = codes == code
            geometry, palette = divmod(int(code), len(palettes))
            moved = _plane_transform(images[chosen], geometry, self.geometric)
            out[chosen] = moved[..., list(palettes[palette])] if len(palettes) > 1 else moved
        return out


def _plane_transform(images: np.ndarray, code: int, of: int) -> np.ndarray:
    """Transform `code` of `of` on the images' plane (axes 1 and 2): quarter turns, each mirrored or not;
    for a rectangle (`of` 4) mirrors about either axis."""
    mirrored, turn = code % 2, code // 2
    if mirrored:
        images = images[:, :, ::-1]
    if of == 4:
        return images[:, ::-1] if turn else images
    return np.rot90(images, turn, axes=(1, 2)) if turn else images


def suited_augmentation(images: np.ndarray, components: int = 16, most: int = 2000) -> str:
    """The augmentation the images' own statistics allow, for a run that leaves it to the data: "turns" when
    PCA fitted on half the images reconstructs the other half about as well turned and mirrored as upright
    (crops of photos, textures, views from above), else "flips" when mirrored only, else "none" (upright
    objects, digits, faces: a turned shoe is not an image the data will ever show). Each half is fitted and
    the other scored, and the transforms' errors are averaged: a few hundred images give a steady answer.
    At most `most` images, spread over the file, and halves of alternate images, so a file sorted by class
    or source is judged on all of it."""
    images = np.asarray(images[:: max(1, len(images) // most)][:most], dtype=np.float32)
    if images.ndim < 3 or len(images) < 4 or images.min() == images.max():  # vectors, or nothing to fit
        return "none"
    from sklearn.decomposition import PCA

    halves = images[0::2], images[1::2]
    size = min(components, min(len(half) for half in halves) - 1, int(np.prod(images.shape[1:])))
    fitted = [PCA(size, random_state=0).fit(half.reshape(len(half), -1)) for half in halves]

    def error(transform) -> float:
        """The reconstruction error of each half, transformed, by the PCA of the other half."""
        total = 0.0
        for pca, half in zip(fitted, reversed(halves)):
            flat = transform(half).reshape(len(half), -1)
            total += float(np.mean((pca.inverse_transform(pca.transform(flat)) - flat) ** 2))
        return total

    upright = error(lambda half: half)
    for name in ("turns", "flips"):
        augmentation = Augmentation(name, images.shape[1:])
        moved = np.mean([error(lambda half, code=code: augmentation.apply(half, np.full(len(half), code)))
                         for code in range(1, augmentation.count)])
        if moved <= ALLOWED_ERROR_RATIO * upright:
            return name
    return "none"
