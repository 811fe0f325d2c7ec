"""End to end on the real Fashion-MNIST subset: the CLI, a real tiny search, export, and an
interrupted run resumed to the same result. These train real models (seconds each)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.integration

TINY = ["--population", "4", "--generations", "2", "--train-size", "300", "--val-size", "100", "--epochs", "1",
        "--final-train-size", "600", "--final-epochs", "1", "--seed", "3"]


def archsearch(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archsearch", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, **kwargs)


@pytest.fixture(scope="module")
def tiny_run(fashion_mnist, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One uninterrupted tiny search, shared by the tests that read it (a search takes most of a minute)."""
    tmp_path = tmp_path_factory.mktemp("tiny")
    run_dir = tmp_path / "run"
    return run_dir, archsearch("search", *TINY, "--out", str(run_dir), cwd=tmp_path)


def test_tiny_search_writes_a_loadable_best_model(tiny_run, tmp_path):
    run_dir, done = tiny_run
    assert done.returncode == 0, done.stderr
    assert "best candidates" in done.stdout + done.stderr
    frame = pd.read_csv(run_dir / "evaluations.csv")
    assert len(frame) == 12 and list(frame["index"]) == list(range(12))
    assert frame["status"].isin(["ok", "invalid", "failed"]).all()
    for name in ("genome.json", "model.keras", "encoder.keras", "summary.txt", "reconstructions.png", "metrics.json"):
        assert (run_dir / "best" / name).is_file(), name
    metrics = json.loads((run_dir / "best" / "metrics.json").read_text())
    assert 0 < metrics["test_mse"] < 0.2 and 0 < metrics["pca_test_mse"] < 0.2
    # The model loads with plain Keras, without importing archsearch.
    code = ("import keras, numpy as np, sys; m = keras.models.load_model(sys.argv[1]); "
            "print(m.predict(np.zeros((2, 28, 28, 1), 'float32'), verbose=0).shape); "
            "print('archsearch' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", code, str(run_dir / "best" / "model.keras")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert loaded.stdout.split() == ["(2,", "28,", "28,", "1)", "False"], loaded.stderr

    exported = archsearch("export", str(run_dir), "--top", "2", "--to", str(tmp_path / "export"), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    ranks = sorted(p.name.split("_")[0] for p in (tmp_path / "export").iterdir() if p.is_dir())
    assert ranks == ["rank1", "rank2"]
    assert (tmp_path / "export" / "index.json").is_file()


def test_interrupted_search_resumes_to_the_same_result(tiny_run, tmp_path):
    straight, done = tiny_run
    assert done.returncode == 0, done.stderr

    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen([sys.executable, "-m", "archsearch", "search", *TINY, "--out", str(interrupted)],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    journal = interrupted / "journal.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and (not journal.exists() or len(journal.read_text().splitlines()) < 5):
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert "--resume" in output
    recorded = len(journal.read_text().splitlines())
    assert 5 <= recorded < 12

    resumed = archsearch("search", "--out", str(interrupted), "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    columns = ["index", "generation", "genome_key", "parents", "operator", "status", "fitness"]
    a = pd.read_csv(straight / "evaluations.csv")[columns]
    b = pd.read_csv(interrupted / "evaluations.csv")[columns]
    pd.testing.assert_frame_equal(a, b)
    best_a = json.loads((straight / "best" / "metrics.json").read_text())
    best_b = json.loads((interrupted / "best" / "metrics.json").read_text())
    assert best_a["genome_key"] == best_b["genome_key"] and best_a["test_mse"] == best_b["test_mse"]


def test_resume_refuses_changed_settings(fashion_mnist, tmp_path):
    run_dir = tmp_path / "run"
    (run_dir).mkdir()
    (run_dir / "config.json").write_text(json.dumps({"seed": 1, "population": 4}))
    done = archsearch("search", "--out", str(run_dir), "--resume", "--seed", "2", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"archsearch: error: {run_dir / 'config.json'}: seed was 1 in this run, not 2; "
        "resume with the same seed or choose a new --out"]


def test_own_non_square_colour_images(tmp_path):
    import numpy as np

    from archsearch.api import search
    from archsearch.run.config import SearchConfig

    rng = np.random.default_rng(0)
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=rng.integers(0, 256, size=(240, 18, 30, 3), dtype=np.uint8))
    config = SearchConfig(population=2, generations=1, train_size=100, val_size=40, epochs=1, data_file=str(path),
                          final_train_size=150, final_epochs=1, isolate=False)
    report = search(config, tmp_path / "run")
    assert report.final is not None
    assert report.final.train_images == 150
    assert (tmp_path / "run" / "best" / "model.keras").is_file()


@pytest.mark.parametrize("args, message", [
    (["search", "{space}"], "space.toml: encoder.depth: unknown key"),
    (["search", "--strategy", "nope"], "--strategy nope: unknown"),
    (["search", "--population", "1"], "--population 1: must be at least 2"),
    (["search", "--data", "missing.npz"], "--data missing.npz: no such file"),
    (["export", "nowhere"], "nowhere: not a run directory"),
])
def test_bad_input_is_one_line_and_exit_status_2(tmp_path, args, message):
    space = tmp_path / "space.toml"
    valid = (Path(__file__).parent.parent / "search_spaces" / "dense_autoencoder.toml").read_text()
    space.write_text(valid.replace("[encoder]\n", "[encoder]\ndepth = 3\n"))
    done = archsearch(*[a.format(space=space) for a in args], cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archsearch: error: ") and message in lines[0], done.stderr


def test_compare_on_a_real_subset_writes_every_file(fashion_mnist, tmp_path):
    out = tmp_path / "comparison"
    done = archsearch("compare", "--seeds", "2", "--budget", "3", "--population", "4", "--train-size", "200",
                      "--val-size", "100", "--test-size", "200", "--epochs", "1", "--out", str(out),
                      "--optuna-storage", f"sqlite:///{tmp_path / 'lineage.db'}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("results.csv", "evaluations.csv", "summary.md", "best_vs_evaluations.png", "best_vs_seconds.png",
                 "final_loss.png", "improvement_vs_vanilla.png", "nsga2_pareto.png", "runs/nsga2-seed0/pareto.csv"):
        assert (out / name).stat().st_size > 0, name
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 7 * 2 and (results["evaluations"] == 3).all() and (results["epochs"] <= 3).all()
    assert results["test_mse"].between(0, 1).all()  # every best candidate was also scored on test images
    vanilla = pd.read_csv(out / "vanilla.csv")
    assert (vanilla["test_mse"] > 0).all() and set(vanilla["seed"]) == {0, 1}
