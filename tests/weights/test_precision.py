"""Whether this process can score in bfloat16 is tried in a child process, since on some CPUs trying it
aborts the process (oneDNN held to AVX2 throws a C++ exception); a precision that cannot run is a
one-line error before any work."""

import re
import subprocess
import sys

import numpy as np
import pytest

from archsearch.cli.main import main
from archsearch.weights import precision
from archsearch.weights.precision import check_precision, child_failure, last_error

ONEDNN_ABORT = """terminate called after throwing an instance of 'dnnl::error'
  what():  could not create a primitive descriptor for the matmul primitive. Run workload with environment \
variable ONEDNN_VERBOSE=all to get additional diagnostic information.
"""
TENSORFLOW_ERROR = """Traceback (most recent call last):
  File "<string>", line 1, in <module>
tensorflow.python.framework.errors_impl.AbortedError: {{function_node __inference_<lambda>_430}} Operation \
received an exception:Status: 3, message: could not create a primitive descriptor for the convolution forward \
propagation primitive. Run workload with environment variable ONEDNN_VERBOSE=all.
\t [[{{node Relu}}]] [Op:__inference_<lambda>_430]
"""


def test_a_child_that_dies_says_how():
    assert child_failure([sys.executable, "-c", "pass"]) is None
    assert child_failure([sys.executable, "-c", "import os; os.abort()"]) == "killed by signal 6"
    assert child_failure([sys.executable, "-c", "raise SystemExit('no kernel')"]) == "no kernel (exit status 1)"
    assert child_failure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5) == "no answer in 0 s"


def test_the_reason_is_the_first_sentence_of_the_last_error():
    assert last_error(ONEDNN_ABORT) == "could not create a primitive descriptor for the matmul primitive."
    assert last_error(TENSORFLOW_ERROR) == ("AbortedError: Operation received an exception:Status: 3, message: could "
                                            "not create a primitive descriptor for the convolution forward "
                                            "propagation primitive.")
    assert last_error("\n\n") == ""


def test_a_precision_that_cannot_run_is_a_one_line_error_before_any_work(monkeypatch, tiny_images, tmp_path,
                                                                        capsys):
    from archsearch.autoencoder.genome import Genome, LayerGene
    from archsearch.autoencoder.model import build_autoencoder
    from archsearch.weights.evolution import WeightEvolutionSettings, evolve_weights

    monkeypatch.setattr(precision, "bfloat16_failure", lambda: "could not create a primitive (killed by signal 6)")
    expected = ("bfloat16 cannot run here (a process scoring a tiny population in it failed: could not create a "
                "primitive (killed by signal 6)); use float32")
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        check_precision("bfloat16")
    with pytest.raises(ValueError, match="precision must be one of float32, bfloat16, got 'float16'"):
        check_precision("float16")
    model = build_autoencoder(Genome((LayerGene("dense", units=4),), 2), (12, 12, 1)).autoencoder
    scored = []
    monkeypatch.setattr("archsearch.weights.population_forward.PopulationForward.fitness",
                        lambda *args, **kwargs: scored.append(1))
    with pytest.raises(ValueError, match="bfloat16 cannot run here"):
        evolve_weights(model, tiny_images[0], WeightEvolutionSettings(precision="bfloat16", generations=2),
                       np.random.default_rng(0), lambda *args, **kwargs: None)
    assert not scored
    data = tmp_path / "tiny.npz"
    np.savez(data, x_train=tiny_images[0])
    code = main(["evolve-weights", "--data", str(data), "--samples", "20", "--val-size", "10", "--precision",
                 "bfloat16", "--out", str(tmp_path / "run")])
    error = capsys.readouterr().err.strip()
    assert code == 2 and error.count("\n") == 0 and error.endswith(
        "--precision bfloat16: bfloat16 cannot run here (a process scoring a tiny population in it failed: could "
        "not create a primitive (killed by signal 6)); use float32"), error
    assert not (tmp_path / "run").exists()


def test_float32_needs_no_child_process(monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: pytest.fail("a child process for float32"))
    check_precision("float32")
