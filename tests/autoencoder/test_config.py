import numpy as np
import pytest
from conftest import textures

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
    ({"augment": "mirror"}, "--augment mirror: unknown"),
    ({"augment": "turns", "fidelity": "off"}, "--augment turns: only for candidates trained by backprop on rungs"),
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
    with pytest.raises(ArchsearchError, match="--min-budget 30000: above the top budget fitted to the data, 21,000"):
        fit_to_data(SearchConfig(min_budget=30000), 125)  # 105 training images: 200 passes
    # counted down from the top by eta, at or above the minimum: 21,000 -> 7,000 (2,333 is below 3,000)
    assert fit_to_data(SearchConfig(min_budget=3000), 125).rungs.budgets == (7040, 20992)
    assert fit_to_data(SearchConfig(), 1250).max_budget == 162_000  # 1,042 images: 200 passes would be more


def test_full_fidelity_trains_every_candidate_to_the_top_budget_in_one_rung():
    full = fit_to_data(SearchConfig(fidelity="full"), 60000)
    asha = fit_to_data(SearchConfig(), 60000)
    assert full.rungs.budgets == asha.rungs.budgets[-1:] == (162048,)
    assert full.train_size == asha.train_size and full.val_size == asha.val_size  # the same split as asha
    assert "full budget of 162,048 images" in full.candidate_training()
    assert fit_to_data(SearchConfig(fidelity="off"), 60000).rungs is None


def test_the_time_limit_is_the_box_of_a_run_without_one_and_changes_on_resume(tmp_path):
    assert SearchConfig().time_box == 265 and SearchConfig().evaluations == 48  # candidates still counted
    assert SearchConfig(seconds=100).time_box == 100  # a time box given: the limit does not cut it
    assert SearchConfig(time_limit=0).time_box is None and SearchConfig(time_limit=None).time_box is None
    SearchConfig(time_limit=0).check_resumable(SearchConfig(), tmp_path)


@pytest.mark.parametrize("content, message", [
    (bytes(range(128, 256)), "not a readable settings file"),
    (b'{"seed": 0,', "not a readable settings file"),
    (b"[1, 2]", "not a settings file"),
    (b'{"population": "8"}', "population is '8', not an integer"),
    (b'{"isolate": 1}', "isolate is 1, not true or false"),
    (b'{"objectives": "params"}', "objectives is 'params', not a list"),
    (b'{"fidelity": 3}', "fidelity is 3, not a string or null"),
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


def test_every_task_shares_the_run_settings_and_adds_only_its_own():
    from dataclasses import fields

    from archsearch.run.settings import RunSettings
    from archsearch.transfer.config import TransferConfig

    shared = {f.name for f in fields(RunSettings)}
    search, transfer = {f.name for f in fields(SearchConfig)}, {f.name for f in fields(TransferConfig)}
    assert shared < search and shared < transfer
    assert search - shared == {"inherit_weights", "objectives", "latent", "augment", "centre"}
    assert {"inner", "weight_strategy", "weight_population", "final_weight_generations", "seconds",
            "time_limit"} < shared  # every task
    assert SearchConfig().time_limit == 265 and TransferConfig().time_limit is None  # the default run: 5 minutes
    assert transfer - shared == {"backbone", "backbone_weights", "baselines"}
    # a task's own default for a shared setting keeps whether a resume may change it, and its minimum
    assert TransferConfig().generations == 3 and "generations" in TransferConfig.resumable_changes()
    assert TransferConfig.minimums()["max_params"] == SearchConfig.minimums()["max_params"] == 1
    assert SearchConfig.resumable_changes() - TransferConfig.resumable_changes() == set()
    assert TransferConfig.resumable_changes() - SearchConfig.resumable_changes() == {"baselines"}
    with pytest.raises(ResumeError, match="seed was 0 in this run, not 1"):
        TransferConfig(seed=1).check_resumable(TransferConfig(), "config.json")


@pytest.mark.parametrize("command, config_class", [
    (["search", "--population", "3", "--time-limit", "60", "--weight-option", "sigma=0.1", "--in-process",
      "--augment", "flips", "--no-centre"], "search"),
    (["transfer", "--backbone", "b.keras", "--population", "3", "--no-baselines"], "transfer"),
])
def test_a_flag_sets_the_setting_of_its_name(command, config_class):
    """The command line's settings come from the settings' fields: a flag whose destination is a field sets it."""
    from archsearch.cli.main import build_parser
    from archsearch.cli.options import given_settings
    from archsearch.transfer.config import TransferConfig

    config_class = SearchConfig if config_class == "search" else TransferConfig
    given = {k: v for k, v in given_settings(build_parser().parse_args(command), config_class).items() if v is not None}
    expected = {"population": 3}
    if config_class is SearchConfig:
        expected |= {"time_limit": 60.0, "weight_options": {"sigma": 0.1}, "isolate": False, "augment": "flips",
                     "centre": False}
    else:
        expected |= {"backbone": "b.keras", "baselines": False}
    assert given == expected


def test_the_code_size_is_the_users_choice_and_free_only_when_asked(tmp_path):
    import json

    from archsearch.cli.main import build_parser

    rng = np.random.default_rng(0)
    fixed = check_config(SearchConfig())
    assert {fixed.sample(rng).latent_size for _ in range(40)} == {16} and fixed.default.latent_size == 16
    assert all(fixed.mutate(fixed.sample(rng), rng)[0].latent_size == 16 for _ in range(40))
    assert {check_config(SearchConfig(latent=32)).sample(rng).latent_size for _ in range(10)} == {32}
    assert {check_config(SearchConfig(latent=0)).sample(rng).latent_size for _ in range(60)} == {8, 16, 32}
    parse = build_parser().parse_args
    assert parse(["search", "--latent", "free"]).latent == 0 and parse(["compare", "--latent", "8"]).latent == 8
    with pytest.raises(SystemExit):
        parse(["search", "--latent", "0"])
    recorded = tmp_path / "config.json"  # a run from before the setting searched its space's sizes
    recorded.write_text(json.dumps({k: v for k, v in SearchConfig().to_dict().items() if k != "latent"}))
    assert SearchConfig.load(recorded).latent == 0


def test_a_backprop_search_counts_predicted_seconds_unless_asked_and_old_runs_resume_on_the_wall_clock(tmp_path):
    import json

    assert fit_to_data(SearchConfig(), 60000).clock == "predicted"  # the default run follows its seed
    assert fit_to_data(SearchConfig(clock="wall"), 60000).clock == "wall"
    assert fit_to_data(SearchConfig(inner="weights"), 60000).clock == "wall"  # no cost model for evolved weights
    recorded = tmp_path / "config.json"  # a run from before the default changed ran on the wall clock
    recorded.write_text(json.dumps({k: v for k, v in SearchConfig().to_dict().items() if k != "clock"}))
    assert fit_to_data(SearchConfig.load(recorded), 60000).clock == "wall"



def test_augmentation_is_asked_for_and_kept_by_a_resume(tmp_path):
    import json

    assert fit_to_data(SearchConfig(), 3000).augment == "none"  # no images to fit it to
    assert fit_to_data(SearchConfig(augment="turns"), 3000).augment == "turns"
    recorded = tmp_path / "config.json"  # a run from before the setting trained on its images as they were
    recorded.write_text(json.dumps({k: v for k, v in SearchConfig().to_dict().items() if k != "augment"}))
    assert SearchConfig.load(recorded).augment == "none"
    with pytest.raises(ResumeError, match="augment was 'none'"):
        SearchConfig(augment="turns").check_resumable(SearchConfig.load(recorded), recorded)


def test_a_small_data_set_is_augmented_as_its_images_allow_and_a_large_one_not_at_all():
    colour = np.concatenate([textures(300, seed) for seed in range(3)], axis=-1)  # as crops of colour photos
    fitted = fit_to_data(SearchConfig(), 300, colour)
    assert fitted.augment == "turns" and fitted.centre
    assert "(turned and mirrored at random; the channel means carried in the code)" in fitted.candidate_training()
    grey = fit_to_data(SearchConfig(), 300, textures(300, 0))  # centring cost error on small grey photos
    assert (grey.augment, grey.centre) == ("turns", False)
    upright = fit_to_data(SearchConfig(), 300, textures(300, 0, "corner"))
    assert (upright.augment, upright.centre) == ("none", False)
    assert "stream of 250 images to budgets" in upright.candidate_training()
    large = fit_to_data(SearchConfig(), 60000, colour)  # 2.8 passes at the top: not small
    assert (large.augment, large.centre) == ("none", False) and "means" not in large.candidate_training()
    assert not fit_to_data(SearchConfig(latent=3), 300, colour).centre  # no room beside 3 means: not said
    chosen = fit_to_data(SearchConfig(augment="flips", centre=False), 300, colour)  # the user's choice
    assert (chosen.augment, chosen.centre) == ("flips", False)
    unstreamed = fit_to_data(SearchConfig(fidelity="off"), 300, colour)  # no stream to augment
    assert (unstreamed.augment, unstreamed.centre) == ("none", False)


def test_centring_is_for_backprop_and_a_run_from_before_it_resumes_without_it(tmp_path):
    import json

    with pytest.raises(ArchsearchError, match="--centre: only with --inner backprop"):
        check_config(SearchConfig(inner="weights", centre=True))
    recorded = tmp_path / "config.json"
    recorded.write_text(json.dumps({k: v for k, v in SearchConfig().to_dict().items() if k != "centre"}))
    assert SearchConfig.load(recorded).centre is False
