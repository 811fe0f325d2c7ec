"""The dependency direction of the design: the core and the strategies know nothing of Keras, and the
builder knows nothing of evolution. Checked in a fresh interpreter, where nothing else was imported."""

import subprocess
import sys

import pytest


def modules_loaded_by(module: str) -> set[str]:
    """Every module name (and each top-level package) loaded by importing `module` alone."""
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names = set(done.stdout.split())
    return names | {name.split(".")[0] for name in names}


@pytest.mark.parametrize("module", ["archsearch", "archsearch.genome", "archsearch.space_file", "archsearch.operators",
                                    "archsearch.records", "archsearch.strategies", "archsearch.strategies.weights",
                                    "archsearch.run.candidates", "archsearch.cli"])
def test_core_and_strategies_do_not_import_keras(module):
    """(The CLI imports TensorFlow only after silencing it, so bad arguments fail in one clean line.)"""
    loaded = modules_loaded_by(module)
    assert not loaded & {"keras", "tensorflow", "torch", "jax"}


def test_only_strategies_import_deap_and_optuna():
    for core in ("archsearch.operators", "archsearch.space_file", "archsearch.records"):
        assert not modules_loaded_by(core) & {"deap", "optuna"}
    assert {"deap", "optuna"} <= modules_loaded_by("archsearch.strategies")


@pytest.mark.slow
def test_builder_does_not_import_evolution():
    loaded = modules_loaded_by("archsearch.builder")
    assert "keras" in loaded
    assert not loaded & {"deap", "optuna", "archsearch.strategies", "archsearch.operators", "archsearch.run"}

