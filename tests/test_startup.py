"""Start-up failures are one line each: an unreachable database, a URL that is not one, a
port that is taken. Ports are checked before the store is opened or migrated."""

from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.cli import main
from tests.core_support import ROOT

PASSWORD = "s3cret-Pa55word"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No config, database URL or chat credentials from the environment; run in a temp dir."""
    for name in list(os.environ):
        if name.startswith(("K8STIP_", "SLACK_", "DISCORD_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def unused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def listening(port: int = 0, host: str = "127.0.0.1") -> Iterator[int]:
    """Hold `host:port` open like another server would; yields the port. A port that some
    other process already holds is just as taken, so that is fine too."""
    s = socket.socket()
    try:
        s.bind((host, port))
        s.listen()
        port = s.getsockname()[1]
    except OSError:
        pass
    try:
        yield port
    finally:
        s.close()


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", ["migrate", "status", "deliver", "run"])
def test_an_unreachable_database_is_one_store_error_line_without_the_password(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = unused_port()
    url = f"postgresql+psycopg://k8stip:{PASSWORD}@127.0.0.1:{port}/k8stip"
    monkeypatch.setenv("K8STIP_DATABASE_URL", url)
    argv = [command, "--no-console"] if command == "run" else [command]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert PASSWORD not in out + err
    assert "Traceback" not in out + err
    [line] = [ln for ln in err.splitlines() if ln.strip()]
    assert line.startswith("store error: cannot use the database at ")
    assert f"127.0.0.1:{port}" in line and "Connection refused" in line
    assert "PostgreSQL is running" in line and "K8STIP_DATABASE_URL" in line
    assert "network" in line


def test_a_wrong_password_is_named_but_not_echoed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver's own reason comes through (here: no such database), the password never."""
    url = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:5432/k8stip_no_such_db"
    monkeypatch.setenv("K8STIP_DATABASE_URL", url)
    code, out, err = run_cli(capsys, "status")
    assert code == 2 and PASSWORD not in out + err
    assert err.startswith("store error: cannot use the database at 127.0.0.1:5432 (")
    assert '"k8stip_no_such_db" does not exist' in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "url", ["not a url", f"postgresql+psycopg://u:{PASSWORD}@db:notaport/x", "nosuchdb://x/y"]
)
def test_a_malformed_url_is_a_config_error_naming_the_key_and_an_example(
    url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "k8stip.yaml"
    cfg.write_text(f'database: "{url}"\n')
    for command in ("migrate", "status", "deliver"):
        code, out, err = run_cli(capsys, "--config", str(cfg), command)
        assert code == 2 and PASSWORD not in out + err and "Traceback" not in err
        assert err.startswith(f"config error: `database` in {cfg} (or K8STIP_DATABASE_URL): ")
        assert "e.g. sqlite:///data/k8stip.db or postgresql+psycopg://" in err
        assert err.count("\n") == 1


def test_a_malformed_url_from_the_environment_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("K8STIP_DATABASE_URL", "postgres//oops")
    code, _, err = run_cli(capsys, "migrate")
    assert code == 2
    assert err.startswith("config error: K8STIP_DATABASE_URL: not a database URL; e.g. ")


def test_a_sqlite_path_that_cannot_be_created_is_one_store_error_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("")
    monkeypatch.setenv("K8STIP_DATABASE_URL", f"sqlite:///{tmp_path}/afile/sub/k.db")
    code, _, err = run_cli(capsys, "status")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(
        f"store error: cannot create the SQLite database {tmp_path}/afile/sub/k.db "
    )


def test_an_explicit_health_port_in_use_stops_before_the_store_is_opened(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "data" / "k8stip.db"
    with listening() as port:
        cfg = tmp_path / "k8stip.yaml"
        cfg.write_text(f"database: sqlite:///{db}\nhealth: {{port: {port}}}\n")
        code, _, err = run_cli(capsys, "--config", str(cfg), "run", "--no-console")
    assert code == 2 and "Traceback" not in err
    assert err == (
        f"config error: {cfg}: `health.port` {port}: 127.0.0.1:{port} is already in use "
        "(is another k8stip, or another server, running?); set `health.port` to a free port, "
        "or stop what listens there\n"
    )
    assert not db.exists() and not db.parent.exists()  # never opened, never migrated


def test_the_default_health_port_in_use_without_a_terminal_is_the_same_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Not at a terminal (a service, a container), the default port is as binding as one set
    in the config: probes and the image's HEALTHCHECK ask 8080."""
    with listening(8080):
        code, _, err = run_cli(capsys, "run", "--no-console")
    assert code == 2
    assert err.startswith("config error: the default config: `health.port` 8080: ")
    assert err.count("\n") == 1
    assert not (tmp_path / "data").exists()


def test_slack_http_port_in_use_stops_before_the_store_is_opened(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-real")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "not-real")
    db = tmp_path / "data" / "k8stip.db"
    with listening(host="0.0.0.0") as slack_port:
        cfg = tmp_path / "k8stip.yaml"
        cfg.write_text(
            f"database: sqlite:///{db}\nhealth: {{port: {unused_port()}}}\n"
            f"slack: {{mode: http, http_port: {slack_port}}}\n"
        )
        code, _, err = run_cli(capsys, "--config", str(cfg), "run", "--no-console")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"config error: {cfg}: `slack.http_port` {slack_port}: ")
    assert "is already in use" in err and "xoxb-not-real" not in err
    assert not db.exists()


def read_until(fd: int, needle: str, seconds: float) -> str:
    out = ""
    deadline = time.monotonic() + seconds
    while needle not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                out += os.read(fd, 4096).decode(errors="replace")
            except OSError:  # the child closed the terminal
                break
    return out


def test_at_a_terminal_a_taken_default_port_is_replaced_by_a_free_one(tmp_path: Path) -> None:
    """`k8stip run` as the README's first command, on a laptop where 8080 is taken: it takes a
    free port and says which in the banner."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env["PYTHONPATH"] = str(ROOT)
    main_fd, tty_fd = pty.openpty()
    with listening(8080):
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            stdin=tty_fd,
            stdout=tty_fd,
            stderr=tty_fd,
            env=env,
            cwd=tmp_path,
        )
        os.close(tty_fd)
        try:
            screen = read_until(main_fd, "Type /k8stip help", 60)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
            os.close(main_fd)
    assert "Traceback" not in screen
    [line] = [ln for ln in screen.splitlines() if "health:" in ln]
    assert "  health:  http://127.0.0.1:" in line
    assert "/healthz  (port 8080 is in use; set health.port to choose one)" in line
    port = int(line.split("127.0.0.1:", 1)[1].split("/", 1)[0])
    assert port != 8080


def test_a_missing_console_password_file_does_not_stop_a_bot_whose_console_is_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An upgrade that mounts K8STIP_WEB_PASSWORD_FILE (compose, Kubernetes) before anybody
    turned the console on: the missing file is nobody's problem yet."""
    monkeypatch.setenv("K8STIP_WEB_PASSWORD_FILE", str(tmp_path / "no-such-secret"))
    monkeypatch.setenv("K8STIP_DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    code, out, err = run_cli(capsys, "deliver", "--json")
    assert code == 0, err
    assert out.strip() == "[]"
    assert "K8STIP_WEB_PASSWORD" not in err


def test_with_the_console_on_a_missing_password_file_stops_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.config import ConfigError, config_from_mapping, load_secrets
    from bot.startup import web_socket

    missing = tmp_path / "web_password"
    secrets = load_secrets({"K8STIP_WEB_PASSWORD_FILE": str(missing)})
    config = config_from_mapping({"web": {"enabled": True, "port": unused_port()}})
    with pytest.raises(ConfigError) as raised:
        web_socket(config, secrets)
    (line,) = raised.value.problems
    assert f"K8STIP_WEB_PASSWORD_FILE={missing}: cannot read it" in line
    assert "`web.enabled` is true" in line
    # Off, the same secrets start nothing and stop nothing.
    assert web_socket(config_from_mapping({}), secrets) is None
