"""Fixtures shared by the sampler tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def count_proposals(monkeypatch):
    """``count_proposals(sampler)`` -> a list that grows by one per joint draw
    of the TPE sampler (its ``_propose``)."""

    def install(sampler):
        calls: list[int] = []
        original = sampler._propose
        monkeypatch.setattr(
            sampler, "_propose", lambda *a, **k: calls.append(1) or original(*a, **k)
        )
        return calls

    return install
