"""`archsearch evolve-weights`: evolve one network's weights without gradients, and keep what it made.

The network is the seed experiment's (`seed-network`), a genome file, a search space (a genome drawn
from it with the seed) or any `.keras` autoencoder. The run directory gets `history.csv`,
`fitness.png` (the curve), `reconstructions.png` (the targets over reconstructions every few
generations), `model.keras` (the evolved autoencoder, a plain Keras file) and `summary.json`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.model import build_autoencoder
from archsearch.autoencoder.space_file import load_space
from archsearch.core.data import Dataset
from archsearch.core.errors import ArchsearchError
from archsearch.training.saved import load_model_file
from archsearch.weights.evolution import GenerationRecord, WeightEvolutionSettings, evolve_weights
from archsearch.weights.plots import save_fitness_curve, save_reconstruction_strip
from archsearch.weights.population_forward import PopulationForward
from archsearch.weights.seed_network import SEED_NETWORK, build_seed_network
from archsearch.weights.strategies import make_weight_strategy

SNAPSHOT_ROWS = 6
FIT_THESE_IMAGES = 100  # up to this many training images, the run is about fitting them: watch those


@dataclass(frozen=True)
class Network:
    model: keras.Model
    description: str
    genome: Genome | None = None


def resolve_network(spec: str, seed: int, image_shape: tuple[int, ...]) -> Network:
    """`seed-network`, a genome `.json`, a `.keras` model or a search space (name or `.toml`)."""
    if spec == SEED_NETWORK:
        return Network(build_seed_network().autoencoder, "the seed experiment's conv autoencoder (latent 2)")
    path = Path(spec)
    if path.suffix == ".keras":
        return Network(load_model_file(path, spec), f"the model in {path}")
    if path.suffix == ".json":
        genome = Genome.from_file(path)
        return Network(build_autoencoder(genome, image_shape).autoencoder, genome.describe(), genome)
    space = load_space(spec)
    genome = space.sample(np.random.default_rng(seed))
    return Network(build_autoencoder(genome, image_shape).autoencoder,
                   f"{genome.describe()} (drawn from {spec} with seed {seed})", genome)


def sample_split(dataset: Dataset, count: int, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` training images and `val_size` validation images (`sample_indices`)."""
    chosen, validation = sample_indices(dataset, count, val_size, seed)
    return dataset.x_train[chosen], dataset.x_train[validation]


def sample_indices(dataset: Dataset, count: int, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The indices of `count` training images, as many of each class as possible (10 gives one per
    class, the first of each, so the set does not depend on the seed; without labels, a seeded random
    choice), and of `val_size` validation images from the rest of the training file, never among them."""
    n = len(dataset.x_train)
    if count < 1 or count + val_size > n:
        raise ArchsearchError(f"--samples {count}: must lie between 1 and {n - val_size} "
                              f"({n} training images minus {val_size} for validation)")
    if dataset.y_train is None:
        order = np.random.default_rng(seed).permutation(n)
        chosen = order[:count]
    else:
        per_class = [np.flatnonzero(dataset.y_train == c) for c in np.unique(dataset.y_train)]
        chosen = np.array([indices[i] for i in range(max(map(len, per_class)))
                           for indices in per_class if i < len(indices)][:count])
    rest = np.setdiff1d(np.arange(n), chosen)
    return chosen, rest[-val_size:]


def evolve_weights_run(network: Network, x_train: np.ndarray, x_val: np.ndarray, x_test: np.ndarray,
                       settings: WeightEvolutionSettings, seed: int, out: Path,
                       on_generation=None) -> dict:
    """Runs the evolution and writes the run directory; returns the summary it saved."""
    out.mkdir(parents=True, exist_ok=True)
    model = network.model
    forward = PopulationForward(model)  # fails here, before any work, on a layer it cannot batch
    watched = x_train if len(x_train) <= FIT_THESE_IMAGES else x_val
    shown = watched[:10]
    snapshots: list[tuple[int, np.ndarray]] = []
    # a run the clock ends (generations unbounded) snapshots as one of 50 monitor intervals would
    every = max(1, min(settings.generations, 50 * settings.monitor_every) // SNAPSHOT_ROWS)

    def observe(record: GenerationRecord, strategy) -> None:
        if record.generation % every == 0 or record.generation == 1:
            snapshots.append((record.generation, np.asarray(forward.forward(strategy.solution[None], shown))[0]))
        if on_generation is not None:
            on_generation(record, strategy)

    outcome = evolve_weights(model, x_train, settings, np.random.default_rng(seed), make_weight_strategy,
                             monitor=watched, on_generation=observe, forward=forward)
    last = outcome.history[-1].generation
    if not snapshots or snapshots[-1][0] != last:
        snapshots.append((last, np.asarray(forward.forward(outcome.solution[None], shown))[0]))
    solution, monitored = outcome.solution[None], float(outcome.history[-1].monitor)

    def loss_on(images: np.ndarray) -> float:  # the last monitor score already is it on the watched images
        if images is watched:
            return monitored
        return float(forward.fitness(solution, images, settings.targets(images), settings.loss, None)[0])

    val_loss = loss_on(x_val)
    summary = {
        "network": network.description, "params": forward.layout.n_params, "seed": seed,
        "settings": settings.to_dict(), "formulation": str(forward.formulation),
        "train_images": len(x_train),
        "generations": outcome.generations, "evaluations": outcome.history[-1].evaluations,
        "seconds": round(outcome.seconds, 2),
        "monitor": "training images" if watched is x_train else "validation images",
        f"train_{settings.loss}": loss_on(x_train),
        f"val_{settings.loss}": val_loss,
        "val_mse": val_loss if settings.scores_mse else float(forward.fitness(solution, x_val)[0]),
        "test_mse": float(forward.fitness(solution, x_test)[0]) if len(x_test) else math.nan,
    }
    save_reconstruction_strip(settings.targets(shown), snapshots, out / "reconstructions.png",
                              title=f"{settings.strategy}: targets over reconstructions")
    if network.genome is not None:
        (out / "genome.json").write_text(network.genome.to_json(indent=2) + "\n")
    return write_run(out, outcome.history, settings, network.description, model, summary)


def write_run(out: Path, history: list[GenerationRecord], settings: WeightEvolutionSettings, description: str,
              model: keras.Model, summary: dict) -> dict:
    """What every evolve-weights run directory holds: `history.csv`, `fitness.png`, `model.keras` and
    `summary.json` (returned)."""
    pd.DataFrame([asdict(r) for r in history]).to_csv(out / "history.csv", index=False)
    title = f"{settings.strategy}, population {settings.population}, {description}"
    save_fitness_curve(history, out / "fitness.png", settings.loss, title=title[:110])
    model.save(out / "model.keras")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
