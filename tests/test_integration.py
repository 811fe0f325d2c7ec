"""End to end on the real Fashion-MNIST subset: the CLI, a real tiny search, export, and an
interrupted run resumed to the same result. These train real models (seconds each)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from archsearch.cli.main import main
from archsearch.core.space_files import built_in_spaces
from archsearch.run.journal import Journal

pytestmark = pytest.mark.integration

# The default (multi-fidelity) search, made tiny: 6 candidates, rungs of 128, 384 and 1,152 images seen on
# a stream of 2,000 (so PCA, the final model's yardstick, fits in a moment); one worker, so the seed fixes
# the whole history.
TINY = ["--population", "3", "--generations", "1", "--min-budget", "128", "--max-budget", "1152", "--val-size", "100",
        "--train-size", "2000", "--workers", "1", "--seed", "3"]


def archsearch(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archsearch", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, **kwargs)


def archsearch_here(*args: str) -> subprocess.CompletedProcess:
    """The command run in this process, which has imported TensorFlow already (a new process spends 5 s
    on that): the same parsing, code and output as the `archsearch` command."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(list(args))
    return subprocess.CompletedProcess(["archsearch", *args], code, stdout.getvalue(), stderr.getvalue())


def test_tiny_search_writes_a_loadable_best_model_and_a_ctrl_c_resumes_to_the_same_result(fashion_mnist, tmp_path):
    """One tiny search, read by both halves (a search takes most of a minute; pytest-xdist's groups do not
    keep two tests that share it on one worker here): what it writes, then an interrupted run of it."""
    run_dir = tmp_path / "run"
    done = archsearch_here("search", *TINY, "--out", str(run_dir))
    assert done.returncode == 0, done.stderr
    assert "best candidates" in done.stdout + done.stderr and "the whole run took" in done.stdout + done.stderr
    frame = pd.read_csv(run_dir / "evaluations.csv")
    assert list(frame["index"]) == list(range(len(frame))) and frame["continued_from"].isna().sum() == 6
    assert set(frame["budget"]) == {128, 384, 1152} and (frame["rung"] == 2).any()
    for _, row in frame[frame["continued_from"].notna()].iterrows():  # a promotion continues its candidate
        previous = frame.loc[int(row["continued_from"])]
        assert previous["genome_key"] == row["genome_key"] and previous["budget"] < row["budget"]
    assert frame["status"].isin(["ok", "invalid", "failed"]).all()
    for name in ("genome.json", "model.keras", "encoder.keras", "summary.txt", "reconstructions.png", "metrics.json"):
        assert (run_dir / "best" / name).is_file(), name
    metrics = json.loads((run_dir / "best" / "metrics.json").read_text())
    assert 0 < metrics["test_mse"] < 0.2 and 0 < metrics["pca_test_mse"] < 0.2
    # the final model is the top rung's, not retrained: it scores what the search measured
    best = frame[(frame["budget"] == 1152) & (frame["status"] == "ok")].sort_values("fitness").iloc[0]
    assert metrics["genome_key"] == best["genome_key"] and metrics["val_mse"] == pytest.approx(best["fitness"])
    # piped, as into a log: the results table is a log's width, its figures whole
    output = done.stdout + done.stderr
    assert "…" not in output and f"{int(best['params']):,}" in output and f"{best['fitness']:.5f}" in output
    # The model loads with plain Keras, without importing archsearch.
    code = ("import keras, numpy as np, sys; m = keras.models.load_model(sys.argv[1]); "
            "print(m.predict(np.zeros((2, 28, 28, 1), 'float32'), verbose=0).shape); "
            "print('archsearch' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", code, str(run_dir / "best" / "model.keras")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert loaded.stdout.split() == ["(2,", "28,", "28,", "1)", "False"], loaded.stderr

    exported = archsearch_here("export", str(run_dir), "--top", "2", "--to", str(tmp_path / "export"))
    assert exported.returncode == 0, exported.stderr
    ranks = sorted(p.name.split("_")[0] for p in (tmp_path / "export").iterdir() if p.is_dir())
    assert ranks == ["rank1", "rank2"]
    assert (tmp_path / "export" / "index.json").is_file()
    interrupted_search_resumes_to_the_same_result(run_dir, tmp_path)


def interrupted_search_resumes_to_the_same_result(straight: Path, tmp_path: Path) -> None:
    interrupted = tmp_path / "interrupted"
    # A shell running pytest in the background ignores Ctrl-C for it, and a child would inherit that; a
    # handled signal is reset to its default in the child, which Python then turns into KeyboardInterrupt.
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen([sys.executable, "-m", "archsearch", "search", *TINY, "--out", str(interrupted)],
                                   cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, handler)
    journal = interrupted / "journal.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and (not journal.exists() or len(Journal(journal).read()) < 5):
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert "--resume" in output
    recorded = len(Journal(journal).read())
    assert 5 <= recorded < len(pd.read_csv(straight / "evaluations.csv"))  # stopped in the middle of a rung

    resumed = archsearch_here("search", "--out", str(interrupted), "--resume")  # as the straight run: here
    assert resumed.returncode == 0, resumed.stderr
    said = " ".join((resumed.stdout + resumed.stderr).split())
    assert "this resumed part of the run took" in said and "the whole run took" not in said  # it timed itself only
    columns = ["index", "candidate", "generation", "genome_key", "parents", "operator", "status", "fitness", "budget",
               "continued_from"]
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

    from archsearch.autoencoder.config import SearchConfig
    from archsearch.autoencoder.task import search

    rng = np.random.default_rng(0)
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=rng.integers(0, 256, size=(240, 18, 30, 3), dtype=np.uint8))
    config = SearchConfig(population=2, generations=1, train_size=100, val_size=40, epochs=1, data_file=str(path),
                          final_train_size=150, final_epochs=1, isolate=False, fidelity="off")
    report = search(config, tmp_path / "run")
    assert report.final is not None
    assert report.final.train_images == 150
    assert (tmp_path / "run" / "best" / "model.keras").is_file()


def test_a_small_data_set_runs_with_no_size_flags(tmp_path):
    """150 grey images of 12x12: the split, the rungs and what carries the network to new images are fitted to
    the data, and the banner says so."""
    import numpy as np
    from conftest import textures

    images = textures(150, 1)  # smooth random texture, the same turned or mirrored (as crops of photos)
    scaled = (images - images.min()) / (images.max() - images.min())
    np.savez(tmp_path / "small.npz", x_train=np.round(255 * scaled).astype(np.uint8))
    done = archsearch("search", "--data", "small.npz", "--population", "2", "--generations", "0", "--in-process",
                      "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    # a sixth of the file is kept for testing (no x_test), 125 remain: a sixth of them validates
    assert config["fidelity"] == "asha" and config["val_size"] == 20 and config["train_size"] == 105
    assert config["max_budget"] == 200 * 105  # 200 passes over the training images (top rung: 20,992, whole batches)
    assert config["augment"] == "turns" and config["centre"] is False  # grey: no colour means to carry
    output = " ".join((done.stdout + done.stderr).split())
    assert "stream of 105 images (turned and mirrored at random) to budgets" in output
    assert "20,992 images seen" in output
    assert (tmp_path / "run" / "best" / "model.keras").is_file()


@pytest.mark.parametrize("args, message", [
    (["search", "{space}"], "space.toml: encoder.depth: unknown key"),
    (["search", "--strategy", "nope"], "--strategy nope: unknown"),
    (["search", "--population", "1"], "--population 1: must be at least 2"),
    (["search", "--data", "missing.npz"], "--data missing.npz: no such file"),
    (["export", "nowhere"], "nowhere: not a run directory"),
    (["search", "--warm-start", "nowhere"], "--warm-start nowhere: not a run directory"),
    (["search", "--prior", "2"], "--prior 2.0: must lie between 0 and 1"),
    (["compare", "--strategies", "ga,nosuch"], "--strategies: unknown nosuch"),  # after TensorFlow's import
])
def test_bad_input_is_one_line_and_exit_status_2(tmp_path, args, message):
    space = tmp_path / "space.toml"
    valid = (built_in_spaces() / "dense_autoencoder.toml").read_text()
    space.write_text(valid.replace("[encoder]\n", "[encoder]\ndepth = 3\n"))
    done = archsearch(*[a.format(space=space) for a in args], cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archsearch: error: ") and message in lines[0], done.stderr


STRATEGIES = ["random", "nsga2", "optuna-tpe"]


def test_compare_on_a_real_subset_writes_every_file(fashion_mnist, tmp_path):
    """On a Dask LocalCluster: the candidates, the vanilla autoencoders and the Optuna lineage go through
    Dask as they do through the local pool (which the other integration tests use). Three of the seven
    strategies, each file's kind included: random search (the reference of the paired tests), NSGA-II (the
    Pareto front) and TPE (the Optuna lineage); the rest run in test_compare's toy comparisons."""
    out = tmp_path / "comparison"
    done = archsearch("compare", "--strategies", ",".join(STRATEGIES), "--seeds", "2", "--budget", "3",
                      "--population", "4", "--train-size", "200",
                      "--val-size", "100", "--test-size", "200", "--epochs", "1", "--out", str(out),
                      "--executor", "dask",
                      "--optuna-storage", f"sqlite:///{tmp_path / 'lineage.db'}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("results.csv", "evaluations.csv", "summary.md", "best_vs_evaluations.png", "best_vs_seconds.png",
                 "final_loss.png", "improvement_vs_vanilla.png", "nsga2_pareto.png", "runs/nsga2-seed0/pareto.csv"):
        assert (out / name).stat().st_size > 0, name
    results = pd.read_csv(out / "results.csv")
    assert sorted(results["strategy"]) == sorted(STRATEGIES * 2)
    assert (results["evaluations"] == 3).all() and (results["epochs"] <= 3).all()
    assert results["test_fitness"].between(0, 1).all()  # every best candidate was also scored on test images
    vanilla = pd.read_csv(out / "vanilla.csv")
    assert (vanilla["test_mse"] > 0).all() and set(vanilla["seed"]) == {0, 1}
