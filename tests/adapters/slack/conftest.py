"""Fixtures for the Slack adapter tests: the fake Slack and the adapter's collaborators."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.slack_support import RecordingEvents, StandInRouter


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    # One workspace for every file: a channel and a member, an admin and an owner.
    fake = await FakeSlack().start()
    fake.add_channel("C_LEARN")
    fake.add_user("U_MEMBER")
    fake.add_user("U_ADMIN", admin=True)
    fake.add_user("U_OWNER", owner=True)
    yield fake
    await fake.stop()


@pytest.fixture
def router() -> StandInRouter:
    return StandInRouter()


@pytest.fixture
def events() -> RecordingEvents:
    return RecordingEvents()
