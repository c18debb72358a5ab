"""The replica story with the manifests' own environment: several `k8stip deliver` processes,
each configured exactly like the deliver CronJob's pod (ConfigMap config.yaml, database URL from
the Secret's file, tokens as files), race over one PostgreSQL database; every subscription must
be posted once.

    PYTHONPATH=. python -m bench.deploy_replicas [--processes 3] [--subscriptions 200]

Needs the PostgreSQL server of the test setup (127.0.0.1:5432, trust auth); creates and drops a
database of its own. Prints what each process posted and the ledger's count; exits 1 on a
duplicate or a missing post.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from tests.pod_env import pod_environment

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
AT = "2026-03-30T09:00:00+00:00"
ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--subscriptions", type=int, default=200)
    args = parser.parse_args()

    db = f"k8stip_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{db}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            env = pod_environment("k8stip-deliver", root, database_url=url)
            # The ConfigMap as shipped has no subscriptions; add console ones, same file.
            config_path = Path(env["K8STIP_CONFIG"])
            config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
            config["subscriptions"] = [
                {"platform": "console", "channel": f"c{i}", "time": "09:00", "days": "daily"}
                for i in range(args.subscriptions)
            ]
            config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
            full_env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), **env}
            cmd = [sys.executable, "-m", "bot", "deliver", "--at", AT, "--json"]
            start = time.monotonic()
            procs = [
                subprocess.Popen(
                    cmd, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                for _ in range(args.processes)
            ]
            outputs = [p.communicate(timeout=300) for p in procs]
            elapsed = time.monotonic() - start
            sent: collections.Counter[str] = collections.Counter()
            for i, (p, (out, err)) in enumerate(zip(procs, outputs, strict=True)):
                if p.returncode != 0:
                    print(f"process {i}: exit {p.returncode}\n{err.decode()[-2000:]}")
                    return 1
                results = json.loads(out)
                mine = [r["channel"] for r in results if r["status"] == "sent"]
                sent.update(mine)
                print(f"process {i}: sent {len(mine)}")
        with create_engine(url).connect() as conn:
            ledger = conn.execute(
                text("SELECT count(*) FROM deliveries WHERE status = 'sent'")
            ).scalar_one()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()
    duplicates = sum(n - 1 for n in sent.values() if n > 1)
    missing = args.subscriptions - len(sent)
    print(
        f"{args.processes} processes, {args.subscriptions} subscriptions: {sum(sent.values())} "
        f"posts, {duplicates} duplicates, {missing} missing, ledger sent={ledger}, "
        f"{elapsed:.1f}s"
    )
    return 0 if duplicates == 0 and missing == 0 and ledger == args.subscriptions else 1


if __name__ == "__main__":
    sys.exit(main())
