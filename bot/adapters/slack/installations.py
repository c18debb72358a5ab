"""Multi-workspace installs: slack-sdk's SQLAlchemy installation and OAuth-state stores, kept in
k8stip's own database (`config.database`, SQLite or PostgreSQL).

slack-sdk's async SQLAlchemy stores need an async driver (aiosqlite / asyncpg) plus greenlet;
k8stip's store uses plain SQLAlchemy, so the sync stores run in a worker thread instead. An
install or a token lookup is a single-row query, so a thread hop costs nothing that matters.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

log = logging.getLogger("k8stip.slack")

STATE_EXPIRY_SECONDS = 600


def create_engine(database_url: str) -> sqlalchemy.Engine:
    """A sync engine on k8stip's database (creating the SQLite file's folder if needed)."""
    url = sqlalchemy.make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
    return sqlalchemy.create_engine(url, pool_pre_ping=True)


class ThreadedInstallationStore(AsyncInstallationStore):
    """slack-sdk's `SQLAlchemyInstallationStore`, awaited from a worker thread."""

    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def create_tables(self) -> None:
        # checkfirst: several replicas may start at once against one database.
        await asyncio.to_thread(self.store.metadata.create_all, self.store.engine, checkfirst=True)

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found: Bot | None = await asyncio.to_thread(
            partial(
                self.store.find_bot,
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
        )
        return found

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found: Installation | None = await asyncio.to_thread(
            partial(
                self.store.find_installation,
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )
        )
        return found

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(
            partial(self.store.delete_bot, enterprise_id=enterprise_id, team_id=team_id)
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            partial(
                self.store.delete_installation,
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
            )
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class ThreadedStateStore(AsyncOAuthStateStore):
    """slack-sdk's `SQLAlchemyOAuthStateStore` (CSRF state of the install flow), threaded.

    In the database rather than a cookie-only or in-memory store so that the install link and
    the redirect may be served by different replicas.
    """

    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def create_tables(self) -> None:
        await asyncio.to_thread(self.store.metadata.create_all, self.store.engine, checkfirst=True)

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state: str = await asyncio.to_thread(self.store.issue)
        return state

    async def async_consume(self, state: str) -> bool:
        ok: bool = await asyncio.to_thread(self.store.consume, state)
        return ok


def build_stores(
    database_url: str, client_id: str
) -> tuple[ThreadedInstallationStore, ThreadedStateStore]:
    engine = create_engine(database_url)
    installations = ThreadedInstallationStore(
        SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=log)
    )
    states = ThreadedStateStore(
        SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRY_SECONDS, engine=engine, logger=log
        )
    )
    return installations, states
