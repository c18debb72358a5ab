"""Error pages, and what the console logs about errors.

- `error_middleware` (the outermost) turns every error into a page of the console
  (`error.html`): 404 for an unknown path, 405 for a method a path does not take, 400 for a
  body that is not a form (`forms.BadForm`), 500 for a bug. Only a 500 is logged, as one
  line; a 404 or 400 is the browser's mistake and logs nothing.
- `QuietServerLog`: aiohttp's own server logs a traceback at ERROR for every request it
  cannot parse (a request line past 64 KB, a broken header), before any code of ours runs, so
  anybody who can reach the port could write a log line per request. The console's server
  logs those through this logger instead: one line, no traceback, and at most one a minute
  (the next says how many more there were).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web

from bot.runtime.web.auth import SIGNED_IN
from bot.runtime.web.forms import BadForm
from bot.runtime.web.render import render

__all__ = ["QuietServerLog", "error_middleware", "server_log"]

log = logging.getLogger("bot.runtime.web")

# Headers an error keeps on its page: which methods a path takes, when to try again.
_KEPT_HEADERS = ("Allow", "Retry-After")


def _message(request: web.Request, status: int) -> tuple[str, str]:
    if status == 404:
        return "Not found", "There is no page at this address."
    if status == 405:
        return (
            "Not allowed here",
            f"This address does not take a {request.method[:16]} request; "
            "use the links and buttons on the console's pages.",
        )
    if status >= 500:
        return (
            "Something went wrong",
            "The console could not answer this; what went wrong is in the bot's log. "
            "Try again in a minute.",
        )
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Refused"
    return phrase, "The console cannot answer this request."


def error_page(
    request: web.Request,
    status: int,
    detail: str = "",
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The console's page for `status`; plain text if even the template fails."""
    title, message = _message(request, status)
    try:
        response = render(
            request,
            "error.html",
            status=status,
            title=title,
            message=detail or message,
            back="/" if request.get(SIGNED_IN) is not None else "/login",
        )
    except Exception:  # the page of last resort must not raise
        response = web.Response(
            status=status,
            text=f"{title}. {detail or message}",
            headers={"Cache-Control": "no-store"},
        )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise  # a redirect is not an error
        kept = {k: e.headers[k] for k in _KEPT_HEADERS if k in e.headers}
        return error_page(request, e.status, headers=kept)
    except BadForm as e:
        return error_page(request, 400, e.reason)
    except Exception as e:
        # One line: where it broke and why, not a traceback per request.
        frame = e.__traceback__
        while frame is not None and frame.tb_next is not None:
            frame = frame.tb_next
        where = (
            f"{frame.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}"
            if frame is not None
            else "?"
        )
        log.error(
            "web console: %s %s failed: %s at %s: %s",
            request.method[:16],
            request.path[:200],
            type(e).__name__,
            where,
            str(e)[:200],
        )
        return error_page(request, 500)


class QuietServerLog(logging.Filter):
    """At most one line per `window` seconds, without a traceback, for the aiohttp server's
    own errors; the next line that passes counts the ones held back."""

    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.window, self.clock = window, clock
        self._last: float | None = None
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False  # aiohttp's debug lines: nothing anybody asked for
        now = self.clock()
        if self._last is not None and now - self._last < self.window:
            self._held += 1
            return False
        exc = record.exc_info[1] if record.exc_info else None
        kind = type(exc).__name__ if exc is not None else "error"
        held, self._held, self._last = self._held, 0, now
        record.msg = (
            "web console: the server refused a request (%s)%s; "
            "more in the next %d s are counted, not logged"
        )
        record.args = (kind, f", and {held} more before it" if held else "", int(self.window))
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def server_log(window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> logging.Logger:
    """The logger the console's aiohttp server writes its own errors to, quieted."""
    logger = logging.getLogger("bot.runtime.web.server")
    for old in [f for f in logger.filters if isinstance(f, QuietServerLog)]:
        logger.removeFilter(old)
    logger.addFilter(QuietServerLog(window, clock))
    return logger
