"""Deployment files (Dockerfile, docker-compose.yml, .env.example, deploy/kubernetes/) agree
with what the bot reads. Parsing only: no Docker engine, no cluster, no network.
`.ci/validate-deploy` runs the real linters (hadolint, docker-compose, kubernetes-validate,
checkov); these tests pin down the facts those tools can't know about k8stip."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import __version__
from bot.config import (
    ENV_VARS,
    OPTIONAL_SECRET_NAMES,
    SECRET_NAMES,
    HealthConfig,
    WebConfig,
    config_from_mapping,
    load_config,
    load_secrets,
)
from tests.pod_env import pod_environment

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "kubernetes"
HEALTH_PORT = HealthConfig().port
WEB_PORT = WebConfig().port
# Variables docker compose itself reads from .env (substitution, profiles); not the bot's.
COMPOSE_ONLY_VARS = {"COMPOSE_PROFILES", "K8STIP_IMAGE"}
APP_IMAGE = "k8stip"


# ---------------------------------------------------------------- helpers


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _bot_services() -> dict[str, dict[str, Any]]:
    """Compose services that run the k8stip image."""
    services = _compose()["services"]
    return {
        name: svc
        for name, svc in services.items()
        if str(svc.get("image", "")).split("/")[-1].startswith(("${K8STIP_IMAGE", APP_IMAGE))
    }


def _env_example() -> dict[str, str | None]:
    """Names in .env.example -> value when set, None when only documented (commented out)."""
    names: dict[str, str | None] = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if m:
            names[m.group(2)] = None if m.group(1) else m.group(3)
    return names


def _k8s_docs() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc is not None:
                docs.append((path, doc))
    return docs


def _k8s(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in _k8s_docs() if doc.get("kind") == kind]


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod: dict[str, Any] = spec["template"]["spec"]
    return pod


def _workloads() -> Iterator[dict[str, Any]]:
    for kind in ("Deployment", "StatefulSet", "CronJob", "Job"):
        yield from _k8s(kind)


def _long_running() -> list[dict[str, Any]]:
    return _k8s("Deployment") + _k8s("StatefulSet")


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = _pod_spec(workload)["containers"]
    assert len(containers) == 1, _name(workload)
    container: dict[str, Any] = containers[0]
    return container


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _name(obj: dict[str, Any]) -> str:
    name: str = obj["metadata"].get("name") or obj["metadata"]["generateName"]
    return name


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
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


def _configmap_config() -> dict[str, Any]:
    (cm,) = [c for c in _k8s("ConfigMap") if c["metadata"]["name"] == "k8stip-config"]
    data = yaml.safe_load(cm["data"]["config.yaml"])
    assert isinstance(data, dict)
    return data


# ---------------------------------------------------------------- one source of truth


def test_env_vars_list_every_secret_and_its_file_form() -> None:
    for name in SECRET_NAMES + OPTIONAL_SECRET_NAMES:
        assert name in ENV_VARS
        assert f"{name}_FILE" in ENV_VARS


# Standard variables k8stip honours without owning them.
STANDARD_VARS = {"XDG_CACHE_HOME"}
_ENV_READ = re.compile(r"""(?:environ|env|getenv)(?:\.get)?[\[(]\s*["']([A-Z][A-Z0-9_]*)["']""")
_K8STIP_LITERAL = re.compile(r"""["'](K8STIP_[A-Z0-9_]+)["']""")


def test_bot_reads_no_environment_variable_missing_from_env_vars() -> None:
    """One list: a variable read anywhere in bot/ must be in bot.config.ENV_VARS."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for name in _ENV_READ.findall(source) + _K8STIP_LITERAL.findall(source):
            found.setdefault(name, str(path.relative_to(ROOT)))
    assert "K8STIP_CONFIG" in found, "the scan sees config.py's own lookup"
    unknown = {n: where for n, where in found.items() if n not in set(ENV_VARS) | STANDARD_VARS}
    assert not unknown, f"add these to bot.config.ENV_VARS (and .env.example, docs): {unknown}"


def test_env_example_documents_exactly_the_variables_the_bot_reads() -> None:
    names = _env_example()
    assert set(names) - COMPOSE_ONLY_VARS == set(ENV_VARS)


def test_env_example_sets_nothing_secret_and_selects_the_sqlite_profile() -> None:
    names = _env_example()
    assert names["COMPOSE_PROFILES"] == "sqlite"
    set_vars = {n for n, v in names.items() if v is not None}
    assert set_vars == {"COMPOSE_PROFILES"}, "only documented (commented) values for the bot"


def test_compose_substitutes_only_variables_documented_in_env_example() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    assert used, "the image name is substitutable"
    assert used <= set(_env_example())


def test_compose_bot_environment_names_are_ones_the_bot_reads() -> None:
    for name, svc in _bot_services().items():
        env = svc["environment"]
        assert isinstance(env, dict), name
        assert set(env) <= set(ENV_VARS), f"{name}: {set(env) - set(ENV_VARS)}"


def test_compose_mounts_every_token_as_a_secret_file_read_through_name_file() -> None:
    compose = _compose()
    for name, svc in _bot_services().items():
        env = svc["environment"]
        secrets = set(svc["secrets"])
        for secret in SECRET_NAMES:
            path = env[f"{secret}_FILE"]
            assert path == f"/run/secrets/{secret.lower()}", (name, secret)
            assert secret.lower() in secrets
            assert secret not in env, "tokens never as plain environment values"
        for var, path in env.items():
            if var.endswith("_FILE"):
                source = Path(path).name
                assert path.startswith("/run/secrets/") and source in secrets, (name, var)
                assert compose["secrets"][source]["file"] == f"./secrets/{source}"


def test_secret_files_are_kept_out_of_git_and_the_build_context() -> None:
    gitignore = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "/secrets/" in gitignore
    assert ".env" in gitignore
    patterns = [
        line
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert patterns[0] == "*", "exclude everything, then let in what the image needs"
    assert not [p for p in patterns if p.startswith("!") and ("secret" in p or ".env" in p)]


# ---------------------------------------------------------------- docker compose


def test_each_profile_runs_exactly_one_bot() -> None:
    """Two bots with the same tokens would post every tip twice."""
    services = _compose()["services"]
    bots = _bot_services()
    assert set(bots) == {"bot", "bot-pg"}
    for profile in ("sqlite", "postgres"):
        running = [n for n in bots if profile in bots[n].get("profiles", [])]
        assert len(running) == 1, (profile, running)
    assert all(svc.get("profiles") for svc in services.values()), "no always-on service"


def test_compose_bot_is_hardened_and_limited() -> None:
    for name, svc in _bot_services().items():
        assert svc["read_only"] is True, name
        assert "/tmp" in svc["tmpfs"]
        assert svc["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in svc["security_opt"]
        assert svc["restart"] == "unless-stopped"
        assert svc["stop_signal"] == "SIGTERM"
        limits = svc["deploy"]["resources"]["limits"]
        assert limits["memory"] and limits["cpus"]
        assert svc["command"] == ["run", "--no-console"]
        assert svc["env_file"] == ".env"


def test_compose_bot_keeps_data_in_a_volume_and_config_read_only() -> None:
    compose = _compose()
    for name, svc in _bot_services().items():
        volumes = svc["volumes"]
        assert "data:/app/data" in volumes, name
        assert "./config:/app/config:ro" in volumes
        assert svc["environment"]["K8STIP_CONFIG"] == "/app/config/config.yaml"
    assert "data" in compose["volumes"] and "pgdata" in compose["volumes"]


def test_compose_healthcheck_asks_healthz_on_the_health_port() -> None:
    for name, svc in _bot_services().items():
        command = " ".join(svc["healthcheck"]["test"])
        assert f"http://127.0.0.1:{HEALTH_PORT}/healthz" in command, name
        assert f"127.0.0.1:{HEALTH_PORT}:{HEALTH_PORT}" in svc["ports"]


def test_postgres_profile_switches_the_bot_to_postgres() -> None:
    services = _compose()["services"]
    pg_bot, pg = services["bot-pg"], services["postgres"]
    assert pg_bot["environment"]["K8STIP_DATABASE_URL_FILE"] == "/run/secrets/database_url"
    assert "K8STIP_DATABASE_URL_FILE" not in services["bot"]["environment"]
    assert pg_bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert pg["image"].startswith("postgres:16")
    assert pg["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "pgdata:/var/lib/postgresql/data" in pg["volumes"]
    assert "pg_isready" in pg["healthcheck"]["test"]


def test_a_database_url_secret_file_reaches_the_config(tmp_path: Path) -> None:
    """What bot-pg's container does at start: K8STIP_DATABASE_URL_FILE wins over the file."""
    secret = tmp_path / "database_url"
    secret.write_text("postgresql+psycopg://k8stip:pw@postgres:5432/k8stip\n", encoding="utf-8")
    config_file = tmp_path / "config.yaml"
    config_file.write_text("database: sqlite:///data/k8stip.db\n", encoding="utf-8")
    env = dict(_compose()["services"]["bot-pg"]["environment"])
    env["K8STIP_CONFIG"] = str(config_file)
    env["K8STIP_DATABASE_URL_FILE"] = str(secret)
    for name in SECRET_NAMES:
        env.pop(f"{name}_FILE")
    config = load_config(None, env)
    assert config.database == "postgresql+psycopg://k8stip:pw@postgres:5432/k8stip"


# ---------------------------------------------------------------- Dockerfile


def test_dockerfile_builds_from_the_lock_file_on_python_311_slim() -> None:
    instructions = _dockerfile()
    froms = [args for word, args in instructions if word == "FROM"]
    assert len(froms) == 2, "multi-stage: builder and runtime"
    assert all(f.startswith("python:3.11-slim") for f in froms)
    runs = " ".join(args for word, args in instructions if word == "RUN")
    assert "-r requirements.lock" in runs and "--no-deps" in runs


def test_lock_file_pins_every_runtime_dependency() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    wanted = {
        re.split(r"[<>=!\[ ;]", req, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")
        for req in re.findall(r'"([^"]+)"', block)
    }
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {m.lower() for m in re.findall(r"^([A-Za-z0-9_.-]+)==", lock, re.MULTILINE)}
    assert wanted <= pinned, f"regenerate requirements.lock: missing {wanted - pinned}"
    assert "--hash=sha256:" in lock


def _extra(name: str) -> set[str]:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = pyproject.split(f"\n{name} = [", 1)[1].split("]", 1)[0]
    return {
        re.split(r"[<>=!\[ ;]", req, maxsplit=1)[0].lower()
        for req in re.findall(r'"([^"]+)"', block)
    }


def test_the_fast_extra_has_its_own_hashed_lock_and_stays_out_of_the_default_one() -> None:
    fast = _extra("fast")
    assert fast == {"numpy"}
    pinned = {
        name: (ROOT / name).read_text(encoding="utf-8")
        for name in ("requirements.lock", "requirements-fast.lock", "requirements-dev.lock")
    }
    names = {
        file: {m.lower() for m in re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.MULTILINE)}
        for file, text in pinned.items()
    }
    assert (
        fast <= names["requirements-fast.lock"]
        and "--hash=sha256:" in pinned["requirements-fast.lock"]
    )
    assert not fast & names["requirements.lock"], "the default install carries no extra"
    assert fast <= names["requirements-dev.lock"], "the tests cover the fast path too"

    # The same numpy, pinned and hashed alike, in the extra's lock and the tests' lock.
    def numpy_pins(text: str) -> list[tuple[str, list[str]]]:
        blocks = re.findall(r"^(numpy==[^\\\n]*)\\\n((?:\s+--hash=\S+.*\n)+)", text, re.MULTILINE)
        return [(head.strip(), re.findall(r"sha256:(\w+)", hashes)) for head, hashes in blocks]

    fast_pins = numpy_pins(pinned["requirements-fast.lock"])
    assert len(fast_pins) == 2 and fast_pins == numpy_pins(pinned["requirements-dev.lock"])


def test_dockerfile_adds_the_fast_extra_only_when_asked() -> None:
    instructions = _dockerfile()
    builder = instructions[: [w for w, _ in instructions].index("FROM", 1)]
    assert ("ARG", 'EXTRAS=""') in builder
    runs = " ".join(args for word, args in builder if word == "RUN")
    assert '"${EXTRAS}" = "fast"' in runs and "-r requirements-fast.lock" in runs
    copies = [args for word, args in builder if word == "COPY"]
    assert any("requirements-fast.lock" in c for c in copies)


def _elf(path: Path) -> tuple[int, bool]:
    """(size, has a .symtab section) of an ELF file, as `readelf -S` lists its sections."""
    sections = subprocess.run(
        ["readelf", "-S", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return path.stat().st_size, ".symtab" in sections


def test_dockerfile_strips_extension_modules_but_not_vendored_libraries_or_rpath_ones(
    tmp_path: Path,
) -> None:
    """The builder's strip step, run here on a venv made of real wheels' files: an extension
    module loses its symbol table and still imports; a library in a `*.libs/` folder and a
    module with an RPATH (both rewritten by auditwheel's patchelf) are left byte for byte.
    It needs binutils' strip and readelf (`.ci/run` installs them when missing): without them
    it fails saying so, never skips."""
    missing = [tool for tool in ("strip", "readelf") if shutil.which(tool) is None]
    assert not missing, f"{' and '.join(missing)} not found: run `apt-get install binutils`"
    (step,) = [args for word, args in _dockerfile() if word == "RUN" and "strip " in args]
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    yaml_dir = Path(yaml.__file__).parent
    shutil.copytree(yaml_dir, site / "yaml", ignore=shutil.ignore_patterns("__pycache__"))
    (plain,) = (site / "yaml").glob("_yaml*.so")
    spec = importlib.util.find_spec("psycopg_binary")  # found, not imported (psycopg first)
    assert spec is not None and spec.origin is not None
    (rpath,) = Path(spec.origin).parent.glob("pq.*.so")
    (site / "psycopg_binary").mkdir()
    shutil.copy2(rpath, site / "psycopg_binary" / rpath.name)
    vendored = site / "fake.libs" / "libfake-0123abcd.so"
    vendored.parent.mkdir()
    shutil.copy2(plain, vendored)  # no RPATH: left alone only because it is under *.libs/
    before = {p: p.read_bytes() for p in (site / "psycopg_binary" / rpath.name, vendored)}
    size, symbols = _elf(plain)
    assert symbols  # the wheel's module has a symbol table to lose

    script = step.replace("/opt/venv", str(tmp_path / "venv"))
    subprocess.run(["sh", "-c", script], check=True, capture_output=True)

    stripped, symbols = _elf(plain)
    assert not symbols and stripped < size
    for path, data in before.items():
        assert path.read_bytes() == data, path
    imported = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import yaml; print(yaml.__with_libyaml__, yaml.__file__)",
            str(site),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert imported == ["True", str(site / "yaml" / "__init__.py")]


def test_dockerfile_runtime_is_non_root_and_read_only_friendly() -> None:
    instructions = _dockerfile()
    runtime = instructions[[w for w, _ in instructions].index("FROM", 1) :]
    users = [args for word, args in runtime if word == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    env = " ".join(args for word, args in runtime if word == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert ("WORKDIR", "/app") in runtime
    assert ("VOLUME", '["/app/data"]') in runtime
    run = " ".join(args for word, args in runtime if word == "RUN")
    assert "chown k8stip:k8stip /app/data" in run


def test_dockerfile_healthcheck_entrypoint_and_stop_signal() -> None:
    instructions = dict(_dockerfile())  # the last of each instruction wins, as in Docker
    assert f"http://127.0.0.1:{HEALTH_PORT}/healthz" in instructions["HEALTHCHECK"]
    assert "curl" not in instructions["HEALTHCHECK"]
    assert instructions["STOPSIGNAL"] == "SIGTERM"
    assert json.loads(instructions["ENTRYPOINT"]) == ["k8stip"]
    assert json.loads(instructions["CMD"]) == ["run"]
    assert instructions["EXPOSE"] == f"{HEALTH_PORT} {WEB_PORT}"
    labels = " ".join(args for word, args in _dockerfile() if word == "LABEL")
    assert "org.opencontainers.image.version=" in labels
    assert "org.opencontainers.image.source=" in labels


def test_dockerfile_copies_only_what_dockerignore_lets_in_and_what_exists() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    for word, args in _dockerfile():
        if word != "COPY" or args.startswith("--from"):
            continue
        *sources, _dest = shlex.split(args)
        for source in sources:
            name = source.rstrip("/")
            assert name in allowed, f"{source} is excluded by .dockerignore"
            assert (ROOT / name).exists(), source


# ---------------------------------------------------------------- Kubernetes


def test_kustomization_lists_every_manifest_but_the_one_off_ones() -> None:
    """The Secret is created from files and the migrate Job once per upgrade, not applied."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present - {"secret.example.yaml", "migrate-job.yaml"}
    assert kustomization["namespace"] == "k8stip"
    assert [i["name"] for i in kustomization["images"]] == [APP_IMAGE]


def test_every_manifest_parses_and_names_its_namespace() -> None:
    docs = _k8s_docs()
    assert len(docs) >= 12
    for path, doc in docs:
        if doc.get("kind") in ("Namespace", "Kustomization"):
            continue
        assert doc["metadata"]["namespace"] == "k8stip", path.name


def test_workload_containers_are_non_root_with_a_read_only_root_fs() -> None:
    for workload in _workloads():
        name = _name(workload)
        pod = _pod_spec(workload)
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["serviceAccountName"] == "k8stip"
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] >= 10000
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        container = _container(workload)
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["runAsNonRoot"] is True
        assert sc["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], "a writable /tmp"
        assert "/app/data" not in mounts, "no per-pod SQLite: the database is PostgreSQL"


def test_workload_containers_have_requests_limits_and_a_pinned_image() -> None:
    for workload in _workloads():
        container = _container(workload)
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) == {"cpu", "memory"}
        image = container["image"]
        assert image.startswith(f"{APP_IMAGE}:") and not image.endswith(":latest")


def test_long_running_pods_probe_healthz_and_readyz_on_the_health_port() -> None:
    config_port = _configmap_config()["health"]["port"]
    assert config_port == HEALTH_PORT
    for workload in _long_running():
        container = _container(workload)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["health"] == config_port
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert container["args"] == ["run", "--no-console"]


def test_manifest_env_names_are_ones_the_bot_reads() -> None:
    for workload in _workloads():
        env = _env(_container(workload))
        assert set(env) <= set(ENV_VARS), set(env) - set(ENV_VARS)
        assert env["K8STIP_CONFIG"] == "/app/config/config.yaml"
        assert not set(SECRET_NAMES) & set(env), "secrets as files, never as env values"


def test_every_file_env_points_at_a_mounted_key_of_the_secret() -> None:
    (example,) = _k8s("Secret")
    secret_keys = set(example["stringData"])
    for workload in _workloads():
        pod = _pod_spec(workload)
        container = _container(workload)
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        # Where each secret volume is mounted -> the files in it (path -> Secret key).
        mounted: dict[str, dict[str, str]] = {}
        for name, volume in volumes.items():
            if "secret" in volume:
                assert volume["secret"]["secretName"] == example["metadata"]["name"]
                items = {i["path"]: i["key"] for i in volume["secret"]["items"]}
                assert set(items.values()) <= secret_keys
                mounted[mounts[name]] = items
        file_vars = {k: v for k, v in _env(container).items() if k.endswith("_FILE")}
        assert "K8STIP_DATABASE_URL_FILE" in file_vars, "PostgreSQL URL from the Secret"
        for var, path in file_vars.items():
            directory, _, filename = path.rpartition("/")
            assert directory in mounted, var
            assert filename in mounted[directory], f"{var}: {filename} is not mounted"
        # Only the console's password may be missing from the Secret (optional: true).
        for volume in volumes.values():
            if volume.get("secret", {}).get("optional"):
                assert [i["key"] for i in volume["secret"]["items"]] == ["web-password"]
        for volume in volumes.values():
            if "configMap" in volume:
                assert volume["configMap"]["name"] == "k8stip-config"


def test_slack_pods_get_slack_tokens_and_discord_pods_only_the_discord_token() -> None:
    (slack,) = _k8s("Deployment")
    (discord,) = _k8s("StatefulSet")
    slack_env, discord_env = _env(_container(slack)), _env(_container(discord))
    assert {"SLACK_BOT_TOKEN_FILE", "SLACK_SIGNING_SECRET_FILE"} <= set(slack_env)
    assert "DISCORD_TOKEN_FILE" not in slack_env
    assert "DISCORD_TOKEN_FILE" in discord_env
    assert not any(name.startswith("SLACK_") for name in discord_env)


def test_discord_shard_id_is_the_pod_ordinal_and_count_matches_replicas() -> None:
    (sts,) = _k8s("StatefulSet")
    env = _env(_container(sts))
    assert env["K8STIP_SHARD_ID"] == {
        "fieldRef": {"fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"}
    }
    assert int(env["K8STIP_SHARD_COUNT"]) == sts["spec"]["replicas"]
    headless = [s for s in _k8s("Service") if s["metadata"]["name"] == sts["spec"]["serviceName"]]
    assert headless and headless[0]["spec"]["clusterIP"] == "None"


@pytest.mark.parametrize("ordinal", [0, 1])
def test_a_shard_pod_loads_the_configmap_as_its_shard(tmp_path: Path, ordinal: int) -> None:
    """The config a Discord pod ends up with: the ConfigMap plus the env the manifest sets."""
    (sts,) = _k8s("StatefulSet")
    url = "postgresql+psycopg://k8stip:pw@pg:5432/k8stip"
    env = pod_environment("k8stip-discord", tmp_path, database_url=url, ordinal=ordinal)
    config = load_config(None, env)
    assert config.discord.shard_ids == [ordinal]
    assert config.discord.shard_count == sts["spec"]["replicas"]
    assert config.database == url
    assert config.health.port == HEALTH_PORT


@pytest.mark.parametrize("workload", ["k8stip-slack", "k8stip-deliver", "k8stip-migrate"])
def test_every_pod_env_loads_with_postgres_and_only_its_secrets(
    tmp_path: Path, workload: str
) -> None:
    url = "postgresql+psycopg://k8stip@pg:5432/k8stip"
    env = pod_environment(workload, tmp_path, database_url=url, secrets={"slack-bot-token": "x"})
    config = load_config(None, env)
    assert config.database == url
    assert config.source.endswith("app/config/config.yaml")
    secrets = load_secrets(env)
    mounted = {n for n in SECRET_NAMES if f"{n}_FILE" in env}
    assert {n for n in SECRET_NAMES if secrets.has(n)} == mounted & {"SLACK_BOT_TOKEN"}


def test_configmap_config_is_valid_for_the_config_model() -> None:
    config = config_from_mapping(_configmap_config(), source="configmap.yaml")
    assert config.slack.mode == "http"
    (slack,) = _k8s("Deployment")
    ports = {p["name"]: p["containerPort"] for p in _container(slack)["ports"]}
    assert ports["slack-http"] == config.slack.http_port


def test_services_and_budgets_select_the_pods_they_mean() -> None:
    workloads = {w["metadata"]["name"]: w for w in _long_running()}
    selectable = [
        (w["spec"]["template"]["metadata"]["labels"], _container(w)) for w in workloads.values()
    ]
    for obj in _k8s("Service") + _k8s("PodDisruptionBudget"):
        selector = obj["spec"]["selector"]
        selector = selector.get("matchLabels", selector)
        matched = [
            (labels, c)
            for labels, c in selectable
            if all(labels.get(k) == v for k, v in selector.items())
        ]
        # The console's Service reaches every long-running pod (each serves the console);
        # every other Service and budget means exactly one workload.
        expected = len(selectable) if obj["metadata"]["name"] == "k8stip-web" else 1
        assert len(matched) == expected, obj["metadata"]["name"]
        if obj["kind"] == "Service":
            for _, container in matched:
                names = {p["name"] for p in container["ports"]}
                for port in obj["spec"]["ports"]:
                    assert port["targetPort"] in names, (obj["metadata"]["name"], port)


def test_deployment_replicas_can_be_several_and_the_cronjob_ships_suspended() -> None:
    (slack,) = _k8s("Deployment")
    assert slack["spec"]["replicas"] >= 2
    (cron,) = _k8s("CronJob")
    assert cron["spec"]["suspend"] is True
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert _container(cron)["args"][0] == "deliver"


def test_operations_doc_names_every_variable_and_the_overlay_patch_index() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name in ENV_VARS:
        assert f"`{name}`" in doc, name
    (sts,) = _k8s("StatefulSet")
    names = [e["name"] for e in _container(sts)["env"]]
    index = names.index("K8STIP_SHARD_COUNT")
    assert f"/spec/template/spec/containers/0/env/{index}/value" in doc


def test_image_version_matches_the_package_version_everywhere() -> None:
    """Releasing: bump bot.__version__ and these follow; this test lists what's behind."""
    v = __version__
    args = [a for w, a in _dockerfile() if w == "ARG" and a.startswith("VERSION=")]
    assert args == [f"VERSION={v}"]
    for svc in _bot_services().values():
        assert svc["image"] == f"${{K8STIP_IMAGE:-k8stip:{v}}}"
        assert str(svc["build"]["args"]["VERSION"]) == v
    for workload in _workloads():
        assert _container(workload)["image"] == f"{APP_IMAGE}:{v}", _name(workload)
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["images"][0]["newTag"] == v


def test_network_policy_admits_the_health_port_only_from_the_namespace_and_monitoring() -> None:
    """/metrics lists every channel's state: only pods of k8stip's namespace and of the
    `monitoring` namespace reach the health port; Slack's HTTP port stays open to the Ingress."""
    (policy,) = _k8s("NetworkPolicy")
    rules = policy["spec"]["ingress"]
    health = [r for r in rules if any(p["port"] == "health" for p in r["ports"])]
    assert len(health) == 1
    assert health[0]["from"] == [
        {"podSelector": {}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
    ]
    slack = [r for r in rules if any(p["port"] == "slack-http" for p in r["ports"])]
    assert len(slack) == 1 and "from" not in slack[0]


def test_the_image_and_the_configmap_open_the_health_server_to_probes() -> None:
    """Outside a container the health server binds 127.0.0.1; the image and the ConfigMap set
    0.0.0.0 explicitly so kubelet and Docker probes reach it."""
    env = " ".join(args for op, args in _dockerfile() if op == "ENV")
    assert "K8STIP_HEALTH_HOST=0.0.0.0" in env
    assert _configmap_config()["health"]["host"] == "0.0.0.0"


# ---------------------------------------------------------------- the admin web console


def test_compose_publishes_the_console_on_the_host_loopback_only() -> None:
    for name, svc in _bot_services().items():
        published = [p for p in svc["ports"] if p.endswith(f":{WEB_PORT}")]
        assert published == [f"127.0.0.1:{WEB_PORT}:{WEB_PORT}"], name
        env = svc["environment"]
        assert env["K8STIP_WEB_BIND"] == "0.0.0.0", name  # inside the container only
        assert env["K8STIP_WEB_PASSWORD_FILE"] == "/run/secrets/web_password", name
        assert "web_password" in svc["secrets"], name
    assert _compose()["secrets"]["web_password"] == {"file": "./secrets/web_password"}
    for svc in _compose()["services"].values():
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{port}: published beyond the loopback"


def test_compose_bot_env_with_the_console_off_starts_without_the_password_file(
    tmp_path: Path,
) -> None:
    """An upgrade before ./secrets/web_password exists: compose's env, the file missing."""
    from bot.startup import web_socket

    env = {k: str(v) for k, v in _bot_services()["bot"]["environment"].items()}
    env["K8STIP_WEB_PASSWORD_FILE"] = str(tmp_path / "web_password")  # not there
    (tmp_path / "config.yaml").write_text("timezone: UTC\n", encoding="utf-8")
    config = load_config(None, {**env, "K8STIP_CONFIG": str(tmp_path / "config.yaml")})
    assert config.web.bind == "0.0.0.0" and not config.web.enabled
    assert web_socket(config, load_secrets({})) is None
    secrets = load_secrets({"K8STIP_WEB_PASSWORD_FILE": env["K8STIP_WEB_PASSWORD_FILE"]})
    assert secrets.get("K8STIP_WEB_PASSWORD") is None


def test_the_console_service_is_cluster_ip_on_the_web_port_and_nothing_publishes_it() -> None:
    (service,) = [s for s in _k8s("Service") if s["metadata"]["name"] == "k8stip-web"]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [
        {"name": "web", "port": WEB_PORT, "targetPort": "web", "protocol": "TCP"}
    ]
    assert _k8s("Ingress") == []
    kinds = {doc.get("kind") for _, doc in _k8s_docs()}
    assert not kinds & {"Ingress", "IngressClass", "Gateway", "HTTPRoute"}
    for workload in _long_running():
        container = _container(workload)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["web"] == _configmap_config()["web"]["port"] == WEB_PORT, _name(workload)
        env = _env(container)
        assert env["K8STIP_WEB_BIND"] == "0.0.0.0"
        assert env["K8STIP_WEB_PASSWORD_FILE"].endswith("/web-password")


def test_network_policy_admits_the_console_port_only_from_the_namespace() -> None:
    (policy,) = _k8s("NetworkPolicy")
    rules = policy["spec"]["ingress"]
    web = [r for r in rules if any(p["port"] == "web" for p in r["ports"])]
    assert len(web) == 1
    assert web[0]["from"] == [{"podSelector": {}}]  # this namespace's pods, nobody else
    assert web[0]["ports"] == [{"port": "web", "protocol": "TCP"}]


def test_the_configmap_ships_the_console_off_and_the_secret_example_has_its_key() -> None:
    config = config_from_mapping(_configmap_config(), source="configmap.yaml")
    assert config.web.enabled is False and config.web.port == WEB_PORT
    (example,) = _k8s("Secret")
    assert example["stringData"]["web-password"] == ""


@pytest.mark.parametrize("workload", ["k8stip-slack", "k8stip-discord"])
def test_a_pod_with_the_console_off_starts_without_the_web_password_key(
    tmp_path: Path, workload: str
) -> None:
    """The optional key left out of the Secret: the file is not there, and nothing stops."""
    from bot.startup import web_socket

    url = "postgresql+psycopg://k8stip@pg:5432/k8stip"
    env = pod_environment(workload, tmp_path, database_url=url)
    Path(env["K8STIP_WEB_PASSWORD_FILE"]).unlink()
    config = load_config(None, env)
    assert web_socket(config, load_secrets(env)) is None


# ---------------------------------------------------------------- .ci/validate-kubernetes

# Plays kubernetes-validate as it behaves: "INFO FILE passed for resource …" for an object it
# can read; for one without metadata.name an ERROR line, which `--quiet` hides, and exit 0
# when quiet. (`make deploy` runs the real one; this proves the script's own accounting.)
FAKE_VALIDATOR = """
import sys, yaml
args = sys.argv[1:]
quiet = "--quiet" in args
files = [a for a in args if a.endswith(".yaml")]
failed = False
for f in files:
    doc = yaml.safe_load(open(f))
    name = (doc.get("metadata") or {}).get("name")
    if name:
        print(f"INFO {f} passed for resource {doc['kind'].lower()}/{name} against version 1.28")
    elif not quiet:
        print(f"ERROR {f} could not be validated: 'name'")
        failed = True
sys.exit(2 if failed else 0)
"""


def _validate_kubernetes(tmp_path: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    validator = tmp_path / "kubernetes-validate"
    validator.write_text(f"#!{sys.executable}\n{FAKE_VALIDATOR}", encoding="utf-8")
    validator.chmod(0o755)
    return _run_validate_kubernetes(validator, files)


def _run_validate_kubernetes(
    validator: Path, files: list[Path]
) -> subprocess.CompletedProcess[str]:
    script = ROOT / ".ci" / "validate-kubernetes"
    argv = [sys.executable, str(script), "--validator", str(validator), "-k", "1.28.0"]
    return subprocess.run(
        [*argv, *map(str, files)], capture_output=True, text=True, check=False, timeout=60
    )


def test_validate_deploy_runs_the_kubernetes_step_through_the_accounting_script() -> None:
    script = (ROOT / ".ci" / "validate-deploy").read_text(encoding="utf-8")
    assert ".ci/validate-kubernetes" in script
    assert "--quiet -k" not in script  # the quiet run that passed unreadable files


def test_validate_kubernetes_passes_every_manifest_generate_name_included(
    tmp_path: Path,
) -> None:
    files = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert any("generateName" in p.read_text(encoding="utf-8") for p in files)
    run = _validate_kubernetes(tmp_path, files)
    objects = sum(1 for p in files for d in yaml.safe_load_all(p.read_text()) if d)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"kubernetes 1.28.0: {objects} of {objects} objects validated" in run.stdout


def test_validate_kubernetes_fails_on_an_object_the_validator_could_not_read(
    tmp_path: Path,
) -> None:
    """A manifest whose object has neither name nor generateName: the validator skips it
    (and would exit 0 when quiet); the script names it and fails."""
    broken = tmp_path / "broken.yaml"
    service = yaml.safe_load((K8S / "web-service.yaml").read_text(encoding="utf-8"))
    del service["metadata"]["name"]
    broken.write_text(yaml.safe_dump(service), encoding="utf-8")
    run = _validate_kubernetes(tmp_path, [K8S / "namespace.yaml", broken])
    assert run.returncode == 1
    assert "kubernetes 1.28.0: 1 of 2 objects validated" in run.stdout
    assert f"FAILED {broken}: Service/?: not validated against 1.28.0" in run.stdout
    assert "could not be validated: 'name'" in run.stdout


def test_validate_kubernetes_fails_when_the_validator_says_nothing_about_an_object(
    tmp_path: Path,
) -> None:
    """Silence is not a pass: exit 0 with no line for a file still fails it."""
    silent = tmp_path / "silent"
    silent.write_text(f"#!{sys.executable}\nimport sys; sys.exit(0)\n")
    silent.chmod(0o755)
    run = _run_validate_kubernetes(silent, [K8S / "namespace.yaml"])
    assert run.returncode == 1
    assert "not validated against 1.28.0 (no output)" in run.stdout
