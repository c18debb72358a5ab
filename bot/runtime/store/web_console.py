"""The admin web console's rows (migration 0006): signed-in sessions and the audit log.

A session row is keyed by the SHA-256 of the cookie's token, so the database never holds a
cookie that signs anybody in. Every replica reads the same rows: a browser stays signed in
whichever replica a Service sends it to, and signing out anywhere ends the session
everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select

from bot.runtime.store.schema import check_fits, web_audit, web_sessions
from bot.runtime.store.times import aware, to_db

__all__ = ["AuditEntry", "WebConsoleQueries", "WebSession"]


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who signed in, from where, and the CSRF token its forms carry."""

    actor: str
    address: str
    csrf: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One change made on a page: who, from where, what, to what, when."""

    id: int
    at: datetime
    actor: str
    address: str
    action: str
    target: str
    detail: str


class WebConsoleQueries:
    engine: Engine

    def create_web_session(
        self,
        token_hash: str,
        actor: str,
        address: str,
        csrf: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Store a new session; sessions expired before `now` are deleted on the way."""
        check_fits(web_sessions.c.actor, actor)
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= to_db(now)))
            conn.execute(
                insert(web_sessions).values(
                    token_hash=token_hash,
                    actor=actor,
                    address=address[:64],
                    csrf=csrf,
                    created_at=to_db(now),
                    expires_at=to_db(expires_at),
                )
            )

    def web_session(self, token_hash: str, now: datetime) -> WebSession | None:
        """The session of that token hash, or None when there is none or it has expired."""
        s = web_sessions.c
        q = select(s.actor, s.address, s.csrf, s.created_at, s.expires_at).where(
            s.token_hash == token_hash, s.expires_at > to_db(now)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        return WebSession(
            row.actor, row.address, row.csrf, aware(row.created_at), aware(row.expires_at)
        )

    def delete_web_session(self, token_hash: str) -> bool:
        """End a session (sign-out); True when there was one."""
        with self.engine.begin() as conn:
            done = conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash))
        return bool(done.rowcount)

    def record_audit(
        self, at: datetime, actor: str, address: str, action: str, target: str, detail: str = ""
    ) -> None:
        """Record a change made on a page. Long values are cut to their columns, never refused:
        the change has happened and its record must not be lost."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(web_audit).values(
                    at=to_db(at),
                    actor=actor[:64],
                    address=address[:64],
                    action=action[:32],
                    target=target[:300],
                    detail=detail[:2000],
                )
            )

    def recent_audit(self, limit: int = 50) -> list[AuditEntry]:
        """The newest changes first."""
        a = web_audit.c
        q = select(a.id, a.at, a.actor, a.address, a.action, a.target, a.detail)
        q = q.order_by(a.at.desc(), a.id.desc()).limit(max(1, min(limit, 1000)))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [
            AuditEntry(r.id, aware(r.at), r.actor, r.address, r.action, r.target, r.detail)
            for r in rows
        ]
