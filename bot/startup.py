"""What a command checks before it opens the store: its listening ports, and the error it stops
with when the store cannot be reached.

Light on purpose (the standard library and the config only): `cli.py` catches `StoreError`
without importing SQLAlchemy, so `k8stip tip` stays fast.
"""

from __future__ import annotations

import errno
import socket

from bot.config import WEB_PASSWORD, Config, ConfigError, Secrets
from bot.config_check import keys_given

__all__ = [
    "PortProblem",
    "StoreError",
    "bind_listener",
    "health_socket",
    "port_message",
    "port_problem",
    "web_socket",
]

# The console's password: long enough that five tries a minute never find it.
MIN_WEB_PASSWORD_CHARS = 12


class StoreError(Exception):
    """The database cannot be opened or reached. The message is one line that names where it
    looked (never a password) and what to check; the CLI prints it as `store error: …`."""


class PortProblem(OSError):
    """`port` on `host` cannot be listened on: `reason` says why (in use, not allowed, …)."""

    def __init__(self, host: str, port: int, reason: str, err: int | None) -> None:
        super().__init__(err, reason)
        self.host, self.port, self.reason, self.err = host, port, reason, err

    @property
    def in_use(self) -> bool:
        return self.err == errno.EADDRINUSE


def _describe(e: OSError) -> str:
    if e.errno == errno.EADDRINUSE:
        return "is already in use (is another k8stip, or another server, running?)"
    if e.errno == errno.EACCES:
        return "needs privileges this user does not have (ports below 1024 do)"
    if e.errno == errno.EADDRNOTAVAIL:
        return "is not an address of this machine"
    return f"cannot be listened on ({e.strerror or type(e).__name__})"


def bind_listener(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` and listening, for aiohttp's `SockSite`. Binding
    before anything else starts, and handing this very socket to the server, leaves no gap in
    which another process could take the port. Raises `PortProblem`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise PortProblem(host, port, f"cannot be resolved ({e.strerror})", None) from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As aiohttp does on Unix: restart at once while old connections sit in TIME_WAIT.
        # It does not let two live listeners share the port (that is SO_REUSEPORT).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError as e:
        sock.close()
        raise PortProblem(host, port, _describe(e), e.errno) from None
    return sock


def port_problem(host: str, port: int) -> PortProblem | None:
    """Why `host:port` could not be listened on right now, or None when it could (the probe's
    socket is closed again: for a server that binds its own socket later)."""
    try:
        bind_listener(host, port).close()
    except PortProblem as e:
        return e
    return None


def port_message(config: Config, key: str, problem: PortProblem) -> str:
    """One line naming the port, the key to change and why it cannot be listened on."""
    where = "the default config" if config.source == "<defaults>" else config.source
    fix = (
        f"set `{key}` to a free port, or stop what listens there"
        if problem.in_use
        else f"change `{key}`"
    )
    return f"{where}: `{key}` {problem.port}: {problem.host}:{problem.port} {problem.reason}; {fix}"


def health_socket(config: Config, at_terminal: bool) -> tuple[socket.socket, str]:
    """The health server's socket, bound before anything else starts, and a note for the
    banner. At a terminal with the default port (no `health.port` given), a taken port is not
    fatal: any free port is taken and the note says so (laptops often have 8080 taken).
    Otherwise a port that cannot be bound is one ConfigError naming the port and the key."""
    host, port = config.health.host, config.health.port
    try:
        return bind_listener(host, port), ""
    except PortProblem as e:
        explicit = "port" in keys_given(config.health)
        if e.in_use and at_terminal and not explicit:
            try:
                sock = bind_listener(host, 0)
            except PortProblem:
                pass
            else:
                return sock, f"  (port {port} is in use; set health.port to choose one)"
        raise ConfigError([port_message(config, "health.port", e)]) from None


def web_socket(config: Config, secrets: Secrets) -> socket.socket | None:
    """The admin web console's socket when `web.enabled` is true (None when it is not),
    bound before the store opens. Stops with one ConfigError when the password secret is
    missing or short, the TLS files are half given, or the port cannot be bound."""
    web = config.web
    if not web.enabled:
        return None
    where = "the default config" if config.source == "<defaults>" else config.source
    password = secrets.get(WEB_PASSWORD) or ""
    problems = []
    if WEB_PASSWORD in secrets.unreadable:
        problems.append(f"`web.enabled` is true but {secrets.unreadable[WEB_PASSWORD]}")
    elif not password:
        problems.append(
            f"{where}: `web.enabled` is true but {WEB_PASSWORD} is not set; set it (or "
            f"{WEB_PASSWORD}_FILE, the path of a secret file) to the console's sign-in password"
        )
    elif len(password) < MIN_WEB_PASSWORD_CHARS:
        problems.append(
            f"{WEB_PASSWORD} is {len(password)} characters; use at least "
            f"{MIN_WEB_PASSWORD_CHARS} (a passphrase of a few words will do)"
        )
    if bool(web.tls_cert) != bool(web.tls_key):
        problems.append(
            f"{where}: set both `web.tls_cert` and `web.tls_key` to serve HTTPS, or neither"
        )
    if problems:
        raise ConfigError(problems)
    try:
        return bind_listener(web.bind, web.port)
    except PortProblem as e:
        raise ConfigError([port_message(config, "web.port", e)]) from None
