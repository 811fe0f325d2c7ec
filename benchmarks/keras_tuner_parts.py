"""What the two Keras Tuner peers share (`classifier_vs_keras_tuner.py`, `autoencoder_vs_keras_tuner.py`): our
space asked through Keras Tuner's HyperParameters with the default candidate's values as defaults, a Hyperband
oracle whose first trial takes them to the top budget and that starts no trial once told to stop, a tuner
that continues a promoted trial from its checkpoint and logs every trial, and Keras Tuner's distribution (a
chief oracle and worker processes). Keras Tuner is imported inside the functions: only its processes need it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROLE = "KT_BENCH_ROLE"  # set in the chief's and workers' environment: which part of Keras Tuner this process is


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def default_values(space) -> dict:
    """The space's default candidate as define-by-run values (name -> value)."""
    from archsearch.core.space.encodings import walk

    values: dict = {}

    def read(name, spec, known):
        values[name] = known
        return known

    walk(space.parameters(), read, space.values_of(space.default))
    return values


def candidate_of(hp, space, defaults: dict) -> Any:
    """The candidate Keras Tuner's `hp` describes: the space walked parameter by parameter (as TPE walks it),
    each asked of `hp` with the default candidate's value as its default, then repaired."""
    import numpy as np

    from archsearch.core.params import Range
    from archsearch.core.space.encodings import walk

    def suggest(name, spec, known):
        default = defaults.get(name)
        if isinstance(spec, Range) and spec.integer:
            return hp.Int(name, int(spec.low), int(spec.high), default=default)
        if isinstance(spec, Range):
            return hp.Float(name, spec.low, spec.high, sampling="log" if spec.log else "linear", default=default)
        return hp.Choice(name, list(spec.values), default=default)

    return space.repair(space.from_values(walk(space.parameters(), suggest)), np.random.default_rng(0))


def defaults_first_hyperband(stop: Callable[[], bool]):
    """A Hyperband oracle class whose first trial is the defaults trained to `max_epochs` and which starts no
    trial once `stop()`.

    Our engine trains its first candidate, the space's default genes, up every rung to the top budget
    (`core.rungs.Ladder.favour`): the search's baseline, in the final regime. The peer gets the same first
    trial: the defaults for max_epochs, outside Hyperband's brackets, which then run as Keras Tuner runs
    them (the defaults' values are recorded, so its random trials never draw them again). Until 2026-12-06
    the defaults were Hyperband's first random trial, trained for one epoch in its most aggressive bracket
    and rarely promoted: a head start for us that the issue asked to remove."""
    import keras_tuner

    class DefaultsFirst(keras_tuner.oracles.HyperbandOracle):
        first = True

        def populate_space(self, trial_id):
            if stop():
                return {"status": keras_tuner.engine.trial.TrialStatus.STOPPED, "values": None}
            if self.first:
                self.first = False
                values = {hp.name: hp.default for hp in self.hyperparameters.space}
                values.update({"tuner/epochs": self.max_epochs, "tuner/initial_epoch": 0, "tuner/bracket": 0,
                               "tuner/round": 0})
                return {"status": keras_tuner.engine.trial.TrialStatus.RUNNING, "values": values}
            return super().populate_space(trial_id)

    return DefaultsFirst


def logged_tuner(log: Path, entry: Callable[[Any, Any], dict], on_search: Callable[[], None] = lambda: None):
    """A tuner class that trains a trial for Hyperband's epochs, continuing a promoted trial from its earlier
    trial's checkpoint, and appends `entry(trial, history)` with the trial, its epochs, its checkpoint and
    when it ended to `log` (JSON lines); `on_search` runs as its search begins."""
    import json

    import keras_tuner

    class LoggedHyperband(keras_tuner.Tuner):
        def search(self, *args, **kwargs):
            on_search()
            return super().search(*args, **kwargs)

        def run_trial(self, trial, *args, **kwargs):
            values = trial.hyperparameters.values
            kwargs.update(epochs=values["tuner/epochs"], initial_epoch=values["tuner/initial_epoch"])
            history = super().run_trial(trial, *args, **kwargs)[-1]  # one History per execution: one here
            with log.open("a") as out:
                out.write(json.dumps({"trial": trial.trial_id, "epochs": values["tuner/epochs"],
                                      **entry(trial, history),
                                      "checkpoint": self._get_checkpoint_fname(trial.trial_id),
                                      "ended": time.time()}) + "\n")
            return history

        def _build_hypermodel(self, hp):
            model = super()._build_hypermodel(hp)
            if "tuner/trial_id" in hp.values:
                model.load_weights(self._get_checkpoint_fname(hp.values["tuner/trial_id"]))
            return model

    return LoggedHyperband


def start_distributed(script: str, arguments: list[str], work: Path, workers: int, threads: str,
                      pythonpath: str) -> tuple[subprocess.Popen, list[subprocess.Popen]]:
    """Keras Tuner's chief oracle and `workers` worker processes, each running `script --part ARGUMENTS` with
    its role in the environment (`ROLE`) and `threads` threads; their stderr in WORK/ROLE.log."""
    common = dict(os.environ, KERASTUNER_ORACLE_IP="127.0.0.1", KERASTUNER_ORACLE_PORT=str(free_port()),
                  TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=pythonpath)

    def start(role: str, **extra: str) -> subprocess.Popen:
        env = dict(common, KERASTUNER_TUNER_ID=role, **{ROLE: role}, **extra)
        return subprocess.Popen([sys.executable, script, "--part", *arguments], env=env,
                                stderr=open(work / f"{role}.log", "w"))  # noqa: SIM115

    chief = start("chief")
    time.sleep(5)  # its oracle listens before the workers ask
    return chief, [start(f"tuner{i}", TF_NUM_INTRAOP_THREADS=threads, TF_NUM_INTEROP_THREADS=threads,
                         OMP_NUM_THREADS=threads) for i in range(workers)]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    process.wait()
