"""Which way to ask PostgreSQL the idle question: each candidate side by side, in one run.

    python -m bench.bench_pg_idle                    # 9 runs of each, wall and CPU time
    python -m bench.bench_pg_idle --callgrind        # also instructions executed (valgrind)
    python -m bench.bench_pg_idle --url postgresql+psycopg://u@host:5432/db

Each candidate is a fresh interpreter of this venv that first imports what a nothing-due
`k8stip deliver` has loaded anyway before it asks (`bot.cli`, `bot.runtime.idle_check`: the
baseline), then imports what it needs, connects with the same libpq keywords
(`bot/runtime/pg_url.py` reads them from `--url`), reads the one `alembic_version` row inside a
read-only transaction, and exits: what each way would add to the idle check on PostgreSQL.

- `libpq (ctypes)`: `bot/runtime/libpq.py`, the libpq psycopg's wheel ships, through ctypes;
- `psycopg 3`: `psycopg.connect`, no pool, no SQLAlchemy (the driver the project ships);
- `psycopg2`: psycopg2-binary (another C driver over libpq; not a project dependency);
- `pg8000`: pure Python (not a dependency; it reads neither PG* variables nor ~/.pgpass);
- `SQLAlchemy + psycopg`: the engine the full path opens (what every pass paid before).

psycopg2-binary and pg8000 are not project dependencies: they are installed into a throwaway
venv (`--venv`, default /tmp/k8stip-pg-drivers, made on first use) whose site-packages the
probes put at the end of sys.path (same Python). Runs alternate so all see the same load. The
table gives the median wall and CPU (user+sys) time over `--runs`, and each candidate's cost
over the baseline as a multiple of ctypes's.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SQL = "SELECT version_num FROM alembic_version"
BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

BASE = "baseline (deliver's imports)"
PROBES: dict[str, str] = {
    BASE: "",
    "libpq (ctypes)": f"""
from bot.runtime import libpq
with libpq.read_only(P) as q:
    rows = q({SQL!r}, [])
""",
    "psycopg 3": f"""
import psycopg
with psycopg.connect(**P) as c:
    c.execute({BEGIN!r})
    rows = c.execute({SQL!r}).fetchall()
""",
    "psycopg2": f"""
import psycopg2
c = psycopg2.connect(**P)
cur = c.cursor()
cur.execute({BEGIN!r})
cur.execute({SQL!r})
rows = cur.fetchall()
c.close()
""",
    "pg8000": f"""
import pg8000.native
opts = P.get("options", "").removeprefix("-c").split("=", 1)
c = pg8000.native.Connection(
    user=P.get("user", "postgres"), password=P.get("password"), host=P.get("host", "localhost"),
    port=int(P.get("port", "5432")), database=P.get("dbname"),
    startup_params={{opts[0]: opts[1]}} if len(opts) == 2 else None,
)
c.run({BEGIN!r})
rows = c.run({SQL!r})
c.close()
""",
    "SQLAlchemy + psycopg": f"""
from sqlalchemy import create_engine, text
with create_engine(U).connect() as c:
    rows = c.execute(text({SQL!r})).all()
""",
}


def ensure_venv(venv: Path) -> str:
    """The site-packages of a venv with psycopg2-binary and pg8000 (made on first use)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "psycopg2-binary", "pg8000"], check=True
        )
    found = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip()


def script(name: str, url: str, params: dict[str, str], site: str) -> str:
    head = f"import sys\nsys.path.append({site!r})\nimport bot.cli, bot.runtime.idle_check\n"
    head += f"P = {params!r}\nU = {url!r}\n"
    return head + PROBES[name] + ("" if name == BASE else "\nassert rows and rows[0][0]\n")


def timed(python: Path, code: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall, user+sys CPU) seconds of one run of `python -c code`."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(python), "-c", code], env=env, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"probe failed ({status}):\n{err[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime


def instructions(python: Path, code: str, env: dict[str, str]) -> int:
    with tempfile.TemporaryDirectory(prefix="k8stip-cg-") as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                "-q",
                *(str(python), "-c", code),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        files = sorted(str(p) for p in out.parent.glob(out.name + "*"))
        text = subprocess.run(
            ["callgrind_annotate", *files], capture_output=True, text=True, check=True
        ).stdout
    found = re.search(r"^([\d,]+)\s+(?:\(100\.0%\)\s+)?PROGRAM TOTALS", text, re.M)
    if not found:
        raise SystemExit(f"no total in callgrind_annotate output:\n{text[:600]}")
    return int(found.group(1).replace(",", ""))


def fresh_schema(url: str) -> tuple[str, str]:
    """A schema with a one-row alembic_version (the head the idle check compares), and the
    URL that finds it through search_path."""
    from sqlalchemy import create_engine, text

    from bot.runtime.schema_head import text_head

    schema = f"k8stip_bench_{os.getpid()}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(text(f'CREATE TABLE "{schema}".alembic_version (version_num text)'))
        conn.execute(
            text(f'INSERT INTO "{schema}".alembic_version VALUES (:v)'), {"v": text_head()}
        )
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return schema, f"{url}{sep}options=-csearch_path%3D{schema}"


def drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def main() -> None:
    from bot.runtime.pg_url import libpq_params

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--url", default=DEFAULT_URL, help="a postgresql+psycopg:// URL")
    ap.add_argument("--venv", type=Path, default=Path("/tmp/k8stip-pg-drivers"))
    ap.add_argument("--callgrind", action="store_true", help="also count instructions")
    args = ap.parse_args()

    site = ensure_venv(args.venv)
    python = Path(sys.executable)
    schema, url = fresh_schema(args.url)
    try:
        params = libpq_params(url)
        if params is None:
            raise SystemExit("--url: give a plain postgresql+psycopg://user@host:port/db URL")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PYTHONPATH"] = str(ROOT)
        codes = {name: script(name, url, params, site) for name in PROBES}
        for code in codes.values():
            timed(python, code, env)  # warm-up: every file in the page cache
        walls: dict[str, list[float]] = {name: [] for name in PROBES}
        cpus: dict[str, list[float]] = {name: [] for name in PROBES}
        for _ in range(args.runs):
            for name, code in codes.items():
                took, used = timed(python, code, env)
                walls[name].append(took)
                cpus[name].append(used)
        counts = (
            {n: instructions(python, c, env) for n, c in codes.items()} if args.callgrind else {}
        )
    finally:
        drop_schema(args.url, schema)

    wall = {n: statistics.median(v) for n, v in walls.items()}
    cpu = {n: statistics.median(v) for n, v in cpus.items()}
    base = BASE
    print(f"the idle question on PostgreSQL, {args.runs} runs each, alternating ({python})")
    head = f"  {'':<31} {'wall ms':>8} {'CPU ms':>8} {'CPU-base':>9} {'x ctypes':>9}"
    if counts:
        head += f" {'Ir (M)':>9} {'Ir-base':>8} {'x ctypes':>9}"
    print(head)
    ref_cpu = cpu["libpq (ctypes)"] - cpu[base]
    ref_ir = counts["libpq (ctypes)"] - counts[base] if counts else 0
    for name in PROBES:
        extra = cpu[name] - cpu[base]
        line = f"  {name:<31} {wall[name] * 1000:8.0f} {cpu[name] * 1000:8.0f} {extra * 1000:9.0f}"
        line += f" {extra / ref_cpu:8.1f}x" if name != base and ref_cpu > 0 else f" {'':>9}"
        if counts:
            ir = counts[name] - counts[base]
            line += f" {counts[name] / 1e6:9.0f} {ir / 1e6:8.0f}"
            line += f" {ir / ref_ir:8.1f}x" if name != base and ref_ir > 0 else ""
        print(line)


if __name__ == "__main__":
    main()
