import pytest

from archsearch.autoencoder.config import SearchConfig, check_config, fit_to_data
from archsearch.core.errors import ArchsearchError, ResumeError


@pytest.mark.parametrize("change, message", [
    ({"population": 1}, "--population 1: must be at least 2"),
    ({"epochs": 0}, "--epochs 0: must be at least 1"),
    ({"generations": -1}, "--generations -1: must be at least 0"),
    ({"strategy": "nope"}, "--strategy nope: unknown"),
    ({"min_budget": 9000, "max_budget": 3000}, "--min-budget 9000: above --max-budget 3000"),
    ({"fidelity": "asha", "inherit_weights": True}, "--inherit-weights: not with --fidelity asha"),
    ({"eta": 1}, "--eta 1: must be at least 2"),
    ({"time_limit": -5}, "--time-limit -5: must be at least 0"),
])
def test_bad_settings_fail_in_the_library_too_before_the_run_directory_exists(tmp_path, change, message):
    from archsearch.autoencoder.task import search

    with pytest.raises(ArchsearchError, match=message):
        search(SearchConfig(**change), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_defaults_are_valid_and_resume_allows_only_harmless_changes(tmp_path):
    assert check_config(SearchConfig()).name == "conv_autoencoder"
    recorded = SearchConfig()
    SearchConfig(generations=9, workers=3).check_resumable(recorded, tmp_path)
    with pytest.raises(ResumeError, match="isolate was True"):
        SearchConfig(isolate=False).check_resumable(recorded, tmp_path)


def test_a_lowest_rung_above_the_fitted_top_one_is_one_line():
    with pytest.raises(ArchsearchError, match="--min-budget 30000: above the top budget fitted to the data, 20,840"):
        fit_to_data(SearchConfig(min_budget=30000), 1250)  # 1,042 training images: 20 passes
    # counted down from the top by eta, at or above the minimum: 20,840 -> 6,947 (2,315 is below 3,000)
    assert fit_to_data(SearchConfig(min_budget=3000), 1250).rungs.budgets == (6912, 20864)


def test_full_fidelity_trains_every_candidate_to_the_top_budget_in_one_rung():
    full = fit_to_data(SearchConfig(fidelity="full"), 60000)
    asha = fit_to_data(SearchConfig(), 60000)
    assert full.rungs.budgets == asha.rungs.budgets[-1:] == (162048,)
    assert full.train_size == asha.train_size and full.val_size == asha.val_size  # the same split as asha
    assert "full budget of 162,048 images" in full.candidate_training()
    assert fit_to_data(SearchConfig(fidelity="off"), 60000).rungs is None


def test_the_time_limit_is_the_box_of_a_run_without_one_and_changes_on_resume(tmp_path):
    assert SearchConfig().time_box == 270 and SearchConfig().evaluations == 48  # candidates still counted
    assert SearchConfig(seconds=100).time_box == 100  # a time box given: the limit does not cut it
    assert SearchConfig(time_limit=0).time_box is None and SearchConfig(time_limit=None).time_box is None
    SearchConfig(time_limit=0).check_resumable(SearchConfig(), tmp_path)


@pytest.mark.parametrize("content, message", [
    (bytes(range(128, 256)), "not a readable settings file"),
    (b'{"seed": 0,', "not a readable settings file"),
    (b"[1, 2]", "not a settings file"),
])
def test_a_damaged_settings_file_is_one_line_naming_it(content, message, tmp_path, capsys):
    from archsearch.cli.main import main

    (tmp_path / "config.json").write_bytes(content)
    (tmp_path / "journal.jsonl").write_text("")
    with pytest.raises(ResumeError, match=f"config.json: {message}"):
        SearchConfig.load(tmp_path / "config.json")
    for command in (["search", "--resume", "--out", str(tmp_path)], ["export", str(tmp_path)]):
        assert main(command) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and "config.json" in error[0] and message in error[0], error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "journal.jsonl"]  # nothing written
