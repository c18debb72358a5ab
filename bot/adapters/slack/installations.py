"""Multi-workspace installs: slack-sdk's SQLAlchemy installation and OAuth-state stores, kept in
k8stip's own database (`config.database`, SQLite or PostgreSQL).

slack-sdk's async SQLAlchemy stores need an async driver (aiosqlite / asyncpg) plus greenlet;
k8stip's store uses plain SQLAlchemy, so the sync stores run in a worker thread instead. An
install or a token lookup is a single-row query, so a thread hop costs nothing that matters.

Tokens at rest. Every column that holds a credential (bot and user tokens, refresh tokens, the
incoming-webhook URL) is encrypted with Fernet under `K8STIP_TOKEN_KEY`: a copied database
file or a leaked backup holds no usable token. The secret may list several keys, `new,old`:
the first encrypts, every one decrypts. At start (`create_tables`) every stored token that is
still plaintext (written before k8stip encrypted them) or under an older key is rewritten under
the first key, so rotating is: put the new key first, restart, drop the old key later.

OAuth states: one row per visit to /slack/install, so expired ones are deleted at start and
after issuing a state (at most once a minute per process), or anyone could fill the table.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.slack import messages
from bot.config import ConfigError
from bot.sqlite_files import prepare_sqlite_file

log = logging.getLogger("k8stip.slack")

STATE_EXPIRY_SECONDS = 600
STATE_PURGE_EVERY_SECONDS = 60.0
TOKEN_KEY_SECRET = "K8STIP_TOKEN_KEY"
# The credential columns of slack-sdk's tables. `incoming_webhook_url` posts to a channel by
# itself; `incoming_webhook_configuration_url` is only a settings page, so it stays readable.
TOKEN_COLUMNS: dict[str, tuple[str, ...]] = {
    SQLAlchemyInstallationStore.default_installations_table_name: (
        "bot_token",
        "bot_refresh_token",
        "user_token",
        "user_refresh_token",
        "incoming_webhook_url",
    ),
    SQLAlchemyInstallationStore.default_bots_table_name: ("bot_token", "bot_refresh_token"),
}
# Every Fernet token starts with these bytes (version 0x80, then a timestamp below 2**32);
# Slack tokens start with `xox` and webhook URLs with `https:`, so a value without them is a
# plaintext one written before k8stip encrypted tokens.
_FERNET_PREFIX = "gAAAAA"


class TokenKeyError(ConfigError):
    """A stored token no key in K8STIP_TOKEN_KEY decrypts. Says where, never what."""

    def __init__(self, where: str) -> None:
        super().__init__([messages.WRONG_TOKEN_KEY.format(where=where)])
        self.where = where
        self.reason = self.problems[0]


class TokenCipher:
    """Fernet under the keys of K8STIP_TOKEN_KEY: the first encrypts, every one decrypts."""

    def __init__(self, keys: list[bytes]) -> None:
        self._current = Fernet(keys[0])
        self._any = MultiFernet([Fernet(k) for k in keys])

    @classmethod
    def from_secret(cls, value: str | None) -> TokenCipher:
        """Parse `new[,old…]`; a ConfigError (never quoting the key) when missing or malformed."""
        keys = [k.strip() for k in (value or "").split(",") if k.strip()]
        if not keys:
            raise ConfigError([messages.MISSING_TOKEN_KEY])
        for index, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except ValueError:  # binascii.Error is one too
                raise ConfigError(
                    [messages.BAD_TOKEN_KEY.format(index=index, count=len(keys))]
                ) from None
        return cls([k.encode() for k in keys])

    def __repr__(self) -> str:
        return "TokenCipher(keys=<hidden>)"

    def encrypt(self, plain: str) -> str:
        return self._current.encrypt(plain.encode()).decode()

    def decrypt(self, stored: str, where: str = "a token column") -> str:
        if not stored.startswith(_FERNET_PREFIX):
            return stored  # plaintext, from before encryption; rewritten at the next start
        try:
            return self._any.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(where) from None

    def is_current(self, stored: str) -> bool:
        """Encrypted under the first key (False: plaintext or an older key)."""
        if not stored.startswith(_FERNET_PREFIX):
            return False
        try:
            self._current.decrypt(stored.encode())
        except InvalidToken:
            return False
        return True


class EncryptedToken(sqlalchemy.types.TypeDecorator[str]):
    """A token column: encrypted on the way in, decrypted on the way out.

    TEXT rather than slack-sdk's VARCHAR(200): a Fernet token is about 1.4 times as long as
    its plaintext plus 80 characters, too long for rotating tokens (`xoxe.xoxb-…`)."""

    impl = sqlalchemy.Text
    cache_ok = True

    def __init__(self, cipher: TokenCipher, where: str) -> None:
        super().__init__()
        self.cipher = cipher
        self.where = where

    def process_bind_param(self, value: str | None, dialect: sqlalchemy.Dialect) -> str | None:
        return None if value is None else self.cipher.encrypt(value)

    def process_result_value(self, value: str | None, dialect: sqlalchemy.Dialect) -> str | None:
        return None if value is None else self.cipher.decrypt(value, self.where)


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's SQLAlchemy installation store with its credential columns encrypted."""

    def __init__(
        self, client_id: str, engine: sqlalchemy.Engine, cipher: TokenCipher, logger: Any = log
    ) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=logger)
        self.cipher = cipher
        for table in (self.installations, self.bots):
            for name in TOKEN_COLUMNS[table.name]:
                table.c[name].type = EncryptedToken(cipher, f"{table.name}.{name}")

    def create_tables(self) -> None:
        """Create the tables if missing, widen old token columns, encrypt what is not yet."""
        # checkfirst: several replicas may start at once against one database.
        self.metadata.create_all(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            self._widen_token_columns(conn)
        rewritten = self.reencrypt()
        if rewritten:
            log.info(
                "Slack: encrypted %d stored token(s) with the first key of %s",
                rewritten,
                TOKEN_KEY_SECRET,
            )

    def _widen_token_columns(self, conn: sqlalchemy.Connection) -> None:
        """Tables made by k8stip before 0.2 have VARCHAR(200) token columns; PostgreSQL would
        refuse a longer ciphertext there (SQLite ignores lengths)."""
        if conn.dialect.name != "postgresql":
            return
        inspector = sqlalchemy.inspect(conn)
        for table, names in TOKEN_COLUMNS.items():
            narrow = [
                c["name"]
                for c in inspector.get_columns(table)
                if c["name"] in names and not isinstance(c["type"], sqlalchemy.Text)
            ]
            if narrow:
                alter = ", ".join(f"ALTER COLUMN {n} TYPE TEXT" for n in narrow)
                conn.execute(sqlalchemy.text(f"ALTER TABLE {table} {alter}"))

    def reencrypt(self) -> int:
        """Rewrite every stored token that is plaintext or under an older key; returns how many
        rows changed. Raises TokenKeyError if a token is under no key we have."""
        changed = 0
        with self.engine.begin() as conn:
            for table, names in TOKEN_COLUMNS.items():
                # The raw columns, without EncryptedToken, to see what is really stored.
                raw = sqlalchemy.table(
                    table, sqlalchemy.column("id"), *(sqlalchemy.column(n) for n in names)
                )
                for row in conn.execute(sqlalchemy.select(raw)).mappings().all():
                    stale = {
                        n: row[n]
                        for n in names
                        if row[n] is not None and not self.cipher.is_current(row[n])
                    }
                    if not stale:
                        continue
                    new = {
                        n: self.cipher.encrypt(
                            self.cipher.decrypt(v, f"{table}.{n} id {row['id']}")
                        )
                        for n, v in stale.items()
                    }
                    # Only if unchanged meanwhile: another replica may be doing the same.
                    same = [raw.c[n] == v for n, v in stale.items()]
                    conn.execute(
                        sqlalchemy.update(raw).where(raw.c.id == row["id"], *same).values(**new)
                    )
                    changed += 1
        return changed


def create_engine(database_url: str) -> sqlalchemy.Engine:
    """A sync engine on k8stip's database (creating the SQLite file, private, if needed)."""
    url = sqlalchemy.make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        prepare_sqlite_file(Path(url.database or "").expanduser())
    return sqlalchemy.create_engine(url, pool_pre_ping=True)


class ThreadedInstallationStore(AsyncInstallationStore):
    """`EncryptedInstallationStore`, awaited from a worker thread."""

    def __init__(self, store: EncryptedInstallationStore) -> None:
        self.store = store

    @property
    def logger(self) -> logging.Logger:
        return log

    async def create_tables(self) -> None:
        await asyncio.to_thread(self.store.create_tables)

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

    def __init__(
        self, store: SQLAlchemyOAuthStateStore, now: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self._now = now
        self._last_purge = -math.inf

    @property
    def logger(self) -> logging.Logger:
        return log

    async def create_tables(self) -> None:
        await asyncio.to_thread(self.store.metadata.create_all, self.store.engine, checkfirst=True)
        await self._purge()

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state: str = await asyncio.to_thread(self.store.issue)
        if self._now() - self._last_purge >= STATE_PURGE_EVERY_SECONDS:
            await self._purge()
        return state

    async def _purge(self) -> None:
        self._last_purge = self._now()
        try:
            await asyncio.to_thread(self.purge_expired)
        except SQLAlchemyError as e:  # the next issue tries again; the install page works on
            log.warning("Slack: could not delete expired OAuth states (%s)", type(e).__name__)

    def purge_expired(self) -> int:
        """Delete the states whose `expire_at` has passed; returns how many."""
        table = self.store.oauth_states
        # slack-sdk stores naive UTC (normalize_datetime_for_db).
        cutoff = datetime.fromtimestamp(self._now(), tz=UTC).replace(tzinfo=None)
        with self.store.engine.begin() as conn:
            result = conn.execute(table.delete().where(table.c.expire_at <= cutoff))
        return int(result.rowcount)

    async def async_consume(self, state: str) -> bool:
        ok: bool = await asyncio.to_thread(self.store.consume, state)
        return ok


def build_stores(
    database_url: str,
    client_id: str,
    token_key: str | None,
    now: Callable[[], float] = time.time,
) -> tuple[ThreadedInstallationStore, ThreadedStateStore]:
    """The installation and OAuth-state stores; `token_key` is K8STIP_TOKEN_KEY's value
    (ConfigError when it is missing or malformed, before anything touches the database)."""
    cipher = TokenCipher.from_secret(token_key)
    engine = create_engine(database_url)
    installations = ThreadedInstallationStore(
        EncryptedInstallationStore(client_id=client_id, engine=engine, cipher=cipher)
    )
    states = ThreadedStateStore(
        SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRY_SECONDS, engine=engine, logger=log
        ),
        now=now,
    )
    return installations, states
