"""Order of the integration tests: retirement changes the lab for good, so it runs last."""

from __future__ import annotations


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("retire") is not None)
