"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def sitbreak_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own empty SITBREAK_HOME, so none reads or writes the real home.

    SITBREAK_CONFIG is cleared too: a developer's own setting must not leak in.
    """
    home = tmp_path_factory.mktemp("sitbreak-home")
    monkeypatch.setenv("SITBREAK_HOME", str(home))
    monkeypatch.delenv("SITBREAK_CONFIG", raising=False)
    return home
