"""Shared fixtures: spaces, a cheap toy evaluator (no Keras), tiny synthetic images and the real
Fashion-MNIST subset for the integration tests."""

from __future__ import annotations

import dataclasses
import faulthandler
import hashlib
import json
import os
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from archsearch.autoencoder.genome import Genome
from archsearch.autoencoder.space_file import load_space
from archsearch.core.params import Choice, Float, Int, Range
from archsearch.core.records import FAILED, INVALID, OK, EvaluationResult
from archsearch.core.space.encodings import walk
from archsearch.core.space.nodes import Group, OneOf, Repeated, When
from archsearch.core.space.params import Params
from archsearch.core.space.space import Space
from archsearch.core.space_files import built_in_spaces
from archsearch.transfer.space import frozen_count, load_transfer_space

SESSION_MARK = "ARCHSEARCH_TEST_SESSION"  # every process a test starts inherits it, however deep


def pytest_configure(config):
    os.environ[SESSION_MARK] = uuid.uuid4().hex


def pytest_collection_modifyitems(config, items):
    """An integration test is a slow one too, so `pytest -m "not slow"` is the whole fast tier. (Running the
    long tests first was tried twice and was slower: two integration tests at once on two cores.)"""
    for item in items:
        if item.get_closest_marker("integration") is not None:
            item.add_marker(pytest.mark.slow)


def _started_by_this_session():
    """Processes still alive that carry this session's mark: processes a test started and left behind."""
    import psutil

    mark, found = os.environ.get(SESSION_MARK), []
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and process.status() != psutil.STATUS_ZOMBIE \
                    and process.environ().get(SESSION_MARK) == mark and not _own_resource_tracker(process):
                found.append(process)
        except psutil.Error:  # gone meanwhile, or not ours to read
            pass
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait a while for its reaper in a container)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _own_resource_tracker(process):
    """multiprocessing's helper of this pytest process (Dask started it): it ends when pytest does."""
    return process.ppid() == os.getpid() and "multiprocessing.resource_tracker" in " ".join(process.cmdline())


def pytest_sessionfinish(session):
    """A process left running by a test (an orphaned Dask worker or training child) would keep CI's output
    pipe open after pytest ends, so CI would wait for it: each is named, then killed."""
    import psutil

    deadline = time.monotonic() + 15  # processes shutting down on their own get the time to do so
    while (left := _started_by_this_session()) and time.monotonic() < deadline:
        time.sleep(0.5)
    for process in left:
        try:
            print(f"\nleft behind by a test, killed: pid {process.pid}: {' '.join(process.cmdline())[:200]}")
            process.kill()
        except psutil.Error:
            pass


def pytest_unconfigure(config):
    """An interpreter that does not exit within two minutes of the end (a thread or exit handler that
    hangs) prints every thread's stack and exits, instead of holding CI until its time runs out. Not in an
    xdist worker: one that runs out of tests early waits, unconfigured, for the other to finish, and xdist
    ends its workers itself."""
    if not hasattr(config, "workerinput"):
        faulthandler.dump_traceback_later(120, exit=True)


TRANSFER_SPACES = ("transfer_learning",)
SPACE_NAMES = sorted(p.stem for p in built_in_spaces().glob("*.toml") if p.stem not in TRANSFER_SPACES)
# Backbone depths the transfer space is tried at: one cut point, a small encoder, a DenseNet-sized network.
TRANSFER_DEPTHS = (1, 5, 120)


def spec_space() -> Space:
    """A space built from specs with every kind of node: a list of layers whose kind decides its fields,
    a parameter only active under a condition, nested groups, integer, float and log ranges."""
    layer = OneOf(conv=Group(filters=Choice([8, 16, 32, 64]), kernel=Choice([3, 5]),
                             dilated=When(Choice([False, True]), kernel=3)),
                  pool=Group(),
                  dense=Group(units=Int(8, 256, log=True), dropout=Float(0.0, 0.5)))
    return Space({
        "layers": Repeated(layer, min_length=1, max_length=5),
        "width": Int(1, 9),
        "training": Group(optimizer=Choice(["adam", "sgd"]),
                          momentum=When(Float(0.0, 0.99, default=0.9), optimizer="sgd"),
                          learning_rate=Float(1e-4, 1e-1, log=True, default=1e-3)),
    }, name="specs")


class ToyEvaluator:
    """A deterministic fitness without training: prefers latent 16, two conv layers of 32 filters, lr 3e-3
    (for the spec space: two conv layers of 32 filters, width 5, SGD with momentum 0.9, lr 3e-3).

    Cheap enough to run whole searches in milliseconds, and it has a known optimum.
    """

    name = "toy"

    def __init__(self) -> None:
        self.calls = 0

    def evaluate(self, genome: Genome | Params, seed: int, parents=(), fidelity=None) -> EvaluationResult:
        self.calls += 1
        if isinstance(genome, Params) and "included" in genome:  # transfer genes: prefers keeping 3,
            score = abs(genome["included"] - 3) + abs(frozen_count(genome) - 1)  # freezing 1, dropout 0.2,
            score += abs(genome["dropout"] - 0.2) + abs(np.log10(genome["learning_rate"] / 3e-3))  # lr 3e-3
            return EvaluationResult(OK, fitness=float(score), params=100 * genome["included"] + genome["head_units"],
                                    epochs=1)
        if isinstance(genome, Params):
            convs = [g for g in genome["layers"] if g["kind"] == "conv"]
            training = genome["training"]
            score = abs(len(convs) - 2) + sum(abs(np.log2(g["filters"] / 32)) for g in convs) / max(len(convs), 1)
            score += abs(genome["width"] - 5) / 4 + abs(np.log10(training["learning_rate"] / 3e-3))
            score += abs(training.get("momentum", 0.0) - 0.9)
            return EvaluationResult(OK, fitness=float(score), params=10 * len(genome["layers"]), epochs=1)
        convs = [g for g in genome.encoder if g.kind == "conv"]
        score = abs(np.log2(genome.latent_size / 16)) + abs(len(convs) - 2)
        score += sum(abs(np.log2(g.filters / 32)) for g in convs) / max(len(convs), 1)
        score += abs(np.log10(genome.training.learning_rate / 3e-3))
        return EvaluationResult(OK, fitness=float(score), params=10 * len(genome.encoder) + genome.latent_size,
                                epochs=1)


class SpaceToy(ToyEvaluator):
    """For a space built from specs: each active value's squared distance, on its sampling scale, from a
    target its name fixes (so every slot of a list has its own), summed: shorter lists of well-placed
    values are better. The built-in genomes keep `ToyEvaluator`'s fitness."""

    def __init__(self, space):
        super().__init__()
        self.space = space

    def evaluate(self, genome, seed, parents=(), fidelity=None):
        if not isinstance(genome, Params):
            return super().evaluate(genome, seed)
        total = []

        def visit(name, spec, value):
            unit = spec.to_unit(value) if isinstance(spec, Range) else (spec.values.index(value) + 0.5) / len(
                spec.values)
            target = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
            total.append((unit - target) ** 2)
            return value

        walk(self.space.parameters(), visit, self.space.values_of(genome))
        return EvaluationResult(OK, fitness=float(sum(total)), params=len(total), epochs=1)


class PlantedFailures:
    """The toy fitness, but a genome whose key hashes below `share` fails: half of those invalid, half
    crashed, each with one parameter, so a size objective would put it on the first front."""

    def __init__(self, toy, share=0.4):
        self.toy, self.share = toy, share

    def evaluate(self, genome, seed, parents=(), fidelity=None):
        draw = int(hashlib.sha256(genome.key.encode()).hexdigest()[:8], 16) / 16 ** 8
        if draw < self.share:
            return EvaluationResult(INVALID if draw < self.share / 2 else FAILED, params=1, reason="planted")
        return self.toy.evaluate(genome, seed)


class ToyFidelityEvaluator:
    """The toy fitness, improved by training: toy + 1 / budget. Checkpoints are small JSON files that
    hold the budget trained so far, and a continuation checks it starts where its checkpoint ended."""

    name = "toy-fidelity"

    def __init__(self, toy, fitness_of=None, fail=(), check_resume=True):
        self.toy, self.fitness_of, self.fail, self.check_resume = toy, fitness_of, set(fail), check_resume
        self.calls = []

    def evaluate(self, genome, seed, parents=(), fidelity=None):
        self.calls.append((genome.key, fidelity.start, fidelity.budget))
        if fidelity.resume and self.check_resume:
            with open(fidelity.resume) as handle:
                assert json.load(handle)["budget"] == fidelity.start, "continued from the wrong checkpoint"
        if genome.key in self.fail:
            return EvaluationResult(FAILED, reason="toy failure")
        if fidelity.checkpoint:
            with open(fidelity.checkpoint, "w") as handle:
                json.dump({"budget": fidelity.budget}, handle)
        base = self.fitness_of[genome.key] if self.fitness_of else self.toy.evaluate(genome, seed).fitness
        return EvaluationResult(OK, fitness=base + 1.0 / fidelity.budget, params=1, epochs=1)


class Interrupt(Exception):
    """Stands for the run being stopped (Ctrl-C, kill -9) in the middle."""


class InterruptAfter:
    """`inner` for `n` evaluations, then the run stops."""

    def __init__(self, inner, n):
        self.inner, self.n = inner, n

    def evaluate(self, *job):
        if self.n == 0:
            raise Interrupt
        self.n -= 1
        return self.inner.evaluate(*job)


class TimedToy(ToyFidelityEvaluator):
    """Takes `per_image` seconds (4 ms) per image it trains, and says so in `train_seconds` (the engine's
    estimate of a job)."""

    per_image = 0.004

    def evaluate(self, genome, seed, parents=(), fidelity=None):
        seconds = self.per_image * (fidelity.budget - fidelity.start)
        time.sleep(seconds)
        return dataclasses.replace(super().evaluate(genome, seed, parents, fidelity), train_seconds=seconds,
                                   seconds=seconds)


@pytest.fixture
def toy_evaluator() -> ToyEvaluator:
    return ToyEvaluator()


@pytest.fixture(params=SPACE_NAMES)
def any_space(request):
    return load_space(request.param)


@pytest.fixture(params=[*SPACE_NAMES, *(f"transfer_learning@{d}" for d in TRANSFER_DEPTHS), "specs"])
def every_space(request):
    """Autoencoder spaces, the transfer space fitted to backbones of several depths, and a space built
    from specs."""
    if request.param == "specs":
        return spec_space()
    name, _, depth = request.param.partition("@")
    return load_transfer_space(name, int(depth)) if depth else load_space(name)


@pytest.fixture(params=["conv_autoencoder", "specs"])
def searched_space(request):
    """The autoencoder's conv space (its own operators) and a space built from specs (derived ones)."""
    return load_space(request.param) if request.param != "specs" else spec_space()


@pytest.fixture
def conv_space():
    return load_space("conv_autoencoder")


@pytest.fixture
def tiny_images() -> tuple[np.ndarray, np.ndarray]:
    """64 training and 32 validation images of 12x12: smooth blobs, so there is something to learn."""
    rng = np.random.default_rng(0)
    grid = np.linspace(-1, 1, 12)
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    centres = rng.uniform(-0.5, 0.5, size=(96, 2))
    images = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 0.1)
    images = images[..., None].astype(np.float32)
    return images[:64], images[64:]


def left_or_right_blobs(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """12x12 images of one bright blob, left (class 0) or right (class 1) of centre."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, count)
    grid = np.linspace(-1, 1, 12)
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    cx = np.where(labels == 1, 0.5, -0.5) + rng.normal(0, 0.1, count)
    cy = rng.uniform(-0.5, 0.5, count)
    images = np.exp(-((yy - cy[:, None, None]) ** 2 + (xx - cx[:, None, None]) ** 2) / 0.1)
    return images[..., None].astype(np.float32), labels


def textures(count: int, seed: int, mark: str = "") -> np.ndarray:
    """12x12 grey images of smooth random texture, which looks the same turned or mirrored (as crops of
    photos do); with a `mark` in every image at a random strength: "corner" (a bright top-left corner: no
    longer the same turned or mirrored, as upright objects) or "band" (a bright top band: the same mirrored
    left to right, not turned)."""
    rng = np.random.default_rng(seed)
    images = rng.normal(size=(count, 12, 12))
    for axis in (1, 2):  # smoothed the same way along both axes, wrapping around: no direction stands out
        images = images + np.roll(images, 1, axis) + np.roll(images, -1, axis)
    shape = np.zeros((12, 12))
    if mark == "corner":
        shape[:4, :4] = 1
    elif mark == "band":
        shape[:3] = 1
    images = images / 9 + 4 * rng.uniform(0.5, 1.5, (count, 1, 1)) * shape
    return images[..., None].astype(np.float32)


@pytest.fixture
def blobs():
    """`blobs(count, seed)`: labelled images with an easy class boundary, for the tests that need labels."""
    return left_or_right_blobs


@pytest.fixture
def labelled(blobs):
    """Tiny labelled images (a Dataset), for the transfer tests."""
    from archsearch.core.data import Dataset

    x_train, y_train = blobs(400, 0)
    x_test, y_test = blobs(100, 1)
    return Dataset(x_train, x_test, y_train, y_test, source="blobs")


@pytest.fixture
def backbone_file(tmp_path) -> str:
    """A small seeded backbone saved as a `.keras` file, for the transfer tests."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(8)])
    path = tmp_path / "backbone.keras"
    model.save(path)
    return str(path)


@pytest.fixture(scope="session")
def fashion_mnist():
    """The real data set, from the Debian package or ~/.keras; CI installs it, so CI never skips."""
    from archsearch.core.data import DEBIAN_DIR, KERAS_CACHE_DIR, load_fashion_mnist

    if not any((d / "train-images-idx3-ubyte.gz").exists() or (d / "train-images-idx3-ubyte").exists()
               for d in (DEBIAN_DIR, KERAS_CACHE_DIR)):
        if os.environ.get("CI"):
            pytest.fail("Fashion-MNIST is missing on CI: .ci/run must install dataset-fashion-mnist")
        pytest.skip("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)")
    return load_fashion_mnist()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
