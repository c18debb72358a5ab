"""The container image's installed size, measured without a Docker engine.

    python -m bench.image_size                       # this checkout, default image
    python -m bench.image_size --extras fast         # with `--build-arg EXTRAS=fast`
    python -m bench.image_size --rev main --rev .    # before (a git revision) and after

For each source tree, the Dockerfile's builder stage is replayed here: its ARG defaults and
ENV, then each RUN in order, run by `sh -c` in a copy of what the build context lets in, with
`/opt/venv` and `/wheels` pointed at a temporary folder. The size is then the sum of what the
final stage copies in (`COPY --from=builder /opt/venv` and `COPY tips/`), file sizes as a
layer's tar holds them (no block rounding; a symlink counts as its target path's length),
plus the base image's published size. The largest distributions are listed from their
RECORD files.

The base image is not measured: there is no Docker engine or registry access here. Its size is
`--base-mb` (default: BASE_MB below, python:3.11-slim-bookworm's linux/amd64 image unpacked,
as `docker images` reports it, approximately); pass the figure you read on your registry.
The interpreter running this script builds the venv, so run it with a Python 3.11 on Linux
x86_64 or aarch64 (the base image's) for the wheels the image would get.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# python:3.11-slim-bookworm, linux/amd64, unpacked. Not measured here (no Docker engine or
# registry in this environment): the figure commonly reported by `docker images` for this tag
# (about 130 MB; about 45 MB compressed on Docker Hub). Override with --base-mb.
BASE_MB = 130.0
BASE_SOURCE = "python:3.11-slim-bookworm, linux/amd64, unpacked (approximate, not measured here)"


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def context(src: Path, dest: Path) -> None:
    """Copy what .dockerignore lets into the build context (its `*` then `!path` lines)."""
    ignore = (src / ".dockerignore").read_text(encoding="utf-8").splitlines()
    kept = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    for name in kept:
        path = src / name
        if path.is_dir():
            shutil.copytree(path, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.exists():
            shutil.copy2(path, dest / name)


def checkout(rev: str, dest: Path) -> Path:
    """The source tree of `rev` ('.' is this working tree, uncommitted changes included)."""
    if rev == ".":
        return ROOT
    dest.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def build(src: Path, work: Path, extras: str) -> Path:
    """Replay the builder stage's RUNs; returns the finished venv."""
    steps = instructions((src / "Dockerfile").read_text(encoding="utf-8"))
    builder = steps[: [w for w, _ in steps].index("FROM", 1)]
    build_dir, venv, wheels, bin_dir = work / "src", work / "venv", work / "wheels", work / "bin"
    for d in (build_dir, bin_dir):
        d.mkdir()
    context(src, build_dir)
    # `python` in a RUN is the base image's interpreter: this one, without a venv around it.
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    base_python = Path(sys.base_prefix) / "bin" / f"python{version}"
    (bin_dir / "python").symlink_to(base_python)
    # The builder's environment is the base image's plus the Dockerfile's ENV: none of this
    # shell's pip settings or Python flags.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV")) or k == "PIP_CERT"
    }
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}"

    def here(text: str) -> str:
        return text.replace("/opt/venv", str(venv)).replace("/wheels", str(wheels))

    for word, args in builder:
        if word == "ARG":
            name, _, default = args.partition("=")
            env[name] = extras if name == "EXTRAS" else default.strip('"')
        elif word == "ENV":
            for pair in args.split():
                name, _, value = pair.partition("=")
                env[name] = value
        elif word == "RUN":
            print(f"  RUN {args[:90]}{'…' if len(args) > 90 else ''}", flush=True)
            run = subprocess.run(
                ["sh", "-c", here(args)], cwd=build_dir, env=env, capture_output=True, text=True
            )
            if run.returncode:
                sys.exit(f"failed ({run.returncode}):\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    return venv


def tree_bytes(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_symlink():
            total += len(os.readlink(p))
        elif p.is_file():
            total += p.stat().st_size
    return total


def distributions(venv: Path) -> list[tuple[int, str]]:
    """(bytes, 'name version') of each installed distribution, from its RECORD (pip lists the
    .pyc it compiled there too)."""
    (site,) = venv.glob("lib/python3*/site-packages")
    rows = []
    for record in site.glob("*.dist-info/RECORD"):
        total = 0
        for line in record.read_text(encoding="utf-8").splitlines():
            f = site / line.split(",", 1)[0]
            if f.is_file() and not f.is_symlink():
                total += f.stat().st_size
        rows.append((total, record.parent.name.removesuffix(".dist-info").replace("-", " ")))
    return sorted(rows, reverse=True)


# What the runtime imports on some path (PostgreSQL, Slack OAuth, Discord, typo correction...):
# the trimmed virtualenv must still have each.
IMPORTS = (
    "aiohttp, alembic, apscheduler, cryptography.fernet, discord, prometheus_client, psycopg, "
    "rapidfuzz.distance, ryml, slack_bolt.async_app, slack_sdk, sqlalchemy.dialects.postgresql, "
    "sqlalchemy.ext.asyncio, Stemmer, tzdata, yaml, bot.app, bot.runtime.store.migrate"
)


def smoke(venv: Path, src: Path) -> None:
    """The finished venv imports every dependency and answers `k8stip tip secrets`, as the
    image's ENTRYPOINT would, from a folder holding only tips/ (the image's /app)."""
    with tempfile.TemporaryDirectory() as app:
        shutil.copytree(src / "tips", Path(app) / "tips")
        env = {"PATH": f"{venv}/bin:/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
        for cmd in (
            [str(venv / "bin" / "python"), "-c", f"import {IMPORTS}"],
            [str(venv / "bin" / "k8stip"), "tip", "secrets"],
        ):
            run = subprocess.run(cmd, cwd=app, env=env, capture_output=True, text=True)
            if run.returncode or (not run.stdout.strip() and cmd[-1] == "secrets"):
                sys.exit(f"smoke check failed: {cmd[-2:]}\n{run.stdout}{run.stderr}")
    print("  smoke check: every dependency imports, `k8stip tip secrets` answers", flush=True)


def measure(rev: str, extras: str, base_mb: float, top: int, check: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="k8stip-image-") as tmp:
        work = Path(tmp)
        src = checkout(rev, work / "checkout")
        label = "this working tree" if rev == "." else rev
        print(f"{label}, EXTRAS={extras!r}: replaying the Dockerfile's builder stage", flush=True)
        venv = build(src, work, extras)
        if check:
            smoke(venv, src)
        venv_mb = tree_bytes(venv) / 1e6
        tips_mb = tree_bytes(src / "tips") / 1e6
        total = venv_mb + tips_mb + base_mb
        print(f"  COPY --from=builder /opt/venv  {venv_mb:7.2f} MB")
        for size, name in distributions(venv)[:top]:
            print(f"      {size / 1e6:6.1f} MB  {name}")
        print(f"  COPY tips/                     {tips_mb:7.2f} MB")
        print(f"  base image                     {base_mb:7.2f} MB  ({BASE_SOURCE})")
        print(f"  installed size                 {total:7.2f} MB\n", flush=True)
        return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", action="append", help="git revision, or . (default: .)")
    parser.add_argument("--extras", default="", help="the EXTRAS build arg (e.g. fast)")
    parser.add_argument("--base-mb", type=float, default=BASE_MB)
    parser.add_argument("--top", type=int, default=8, help="distributions to list")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also import every dependency from the venv and run `k8stip tip secrets` with it",
    )
    args = parser.parse_args()
    totals = [
        (r, measure(r, args.extras, args.base_mb, args.top, args.check)) for r in args.rev or ["."]
    ]
    if len(totals) > 1:
        print("  ".join(f"{r}: {t:.1f} MB" for r, t in totals))


if __name__ == "__main__":
    main()
