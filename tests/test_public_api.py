"""The names `from archsearch import ...` gives: each is the object its module defines, found only when
first used (the import-weight check for `import archsearch` is in test_layering)."""

import pytest

import archsearch


def test_every_public_name_is_the_object_its_module_defines():
    from archsearch.autoencoder.config import SearchConfig
    from archsearch.comparison import compare
    from archsearch.core.space.space import Space
    from archsearch.tasks import export, keras_task, search
    from archsearch.transfer import task as transfer

    assert archsearch.search is search.search and archsearch.export is export.export
    assert archsearch.KerasTask is keras_task.KerasTask and archsearch.Space is Space
    assert archsearch.transfer_search is transfer.transfer_search and archsearch.compare is compare.compare
    assert archsearch.SearchConfig is SearchConfig
    for name in archsearch.__all__:
        assert getattr(archsearch, name).__name__ == name
    assert set(archsearch.__all__) <= set(dir(archsearch))


def test_a_name_that_is_not_public_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'serach'"):
        archsearch.serach  # noqa: B018 - the lookup is the test
