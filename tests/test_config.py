import pytest

from archsearch.errors import ArchsearchError, ResumeError
from archsearch.run.config import SearchConfig, check_config


@pytest.mark.parametrize("change, message", [
    ({"population": 1}, "--population 1: must be at least 2"),
    ({"epochs": 0}, "--epochs 0: must be at least 1"),
    ({"generations": -1}, "--generations -1: must be at least 0"),
    ({"strategy": "nope"}, "--strategy nope: unknown"),
])
def test_bad_settings_fail_in_the_library_too_before_the_run_directory_exists(tmp_path, change, message):
    from archsearch.api import search

    with pytest.raises(ArchsearchError, match=message):
        search(SearchConfig(**change), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_defaults_are_valid_and_resume_allows_only_harmless_changes(tmp_path):
    assert check_config(SearchConfig()).name == "conv_autoencoder"
    recorded = SearchConfig()
    SearchConfig(generations=9, workers=3).check_resumable(recorded, tmp_path)
    with pytest.raises(ResumeError, match="isolate was True"):
        SearchConfig(isolate=False).check_resumable(recorded, tmp_path)
