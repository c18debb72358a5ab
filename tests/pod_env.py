"""The environment a k8stip pod gets from deploy/kubernetes/, rebuilt on this machine.

`pod_environment("k8stip-discord", tmp_path, database_url=url, ordinal=1)` writes the
ConfigMap's config.yaml and the Secret's files under `tmp_path` (the mount paths, moved into a
temporary folder) and returns the container's `env`, with the paths rewritten and the
downward API's pod-index resolved, ready for `load_config(None, env)` or a subprocess running
`k8stip`. Tests use it to run processes exactly the way the manifests configure pods.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

K8S = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
POD_INDEX_FIELD = "metadata.labels['apps.kubernetes.io/pod-index']"


def manifests() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return docs


def pod_template(name: str) -> dict[str, Any]:
    """The pod spec of the Deployment/StatefulSet/CronJob/Job called (or generateName'd) `name`."""
    for doc in manifests():
        meta = doc.get("metadata", {})
        if name not in (meta.get("name"), str(meta.get("generateName", "")).rstrip("-")):
            continue
        spec = doc["spec"]
        if doc["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if "template" in spec:
            pod: dict[str, Any] = spec["template"]["spec"]
            return pod
    raise KeyError(f"no workload named {name} in {K8S}")


def pod_environment(
    name: str,
    root: Path,
    *,
    database_url: str,
    ordinal: int = 0,
    secrets: dict[str, str] | None = None,
) -> dict[str, str]:
    """Materialise pod `name`'s config and secret files under `root`; return its env.

    `secrets` maps Secret keys (slack-bot-token, …) to values; keys the pod mounts but that are
    not given are written empty (the platform is then off), as in secret.example.yaml."""
    pod = pod_template(name)
    (container,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    values = {"database-url": database_url, **(secrets or {})}
    moved: dict[str, Path] = {}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        target = root / mount["mountPath"].lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        moved[mount["mountPath"]] = target
        if "configMap" in volume:
            (cm,) = [
                d
                for d in manifests()
                if d["kind"] == "ConfigMap" and d["metadata"]["name"] == volume["configMap"]["name"]
            ]
            for key, text in cm["data"].items():
                (target / key).write_text(text, encoding="utf-8")
        elif "secret" in volume:
            for item in volume["secret"]["items"]:
                (target / item["path"]).write_text(values.get(item["key"], ""), encoding="utf-8")
    env: dict[str, str] = {}
    for var in container.get("env", []):
        if "value" in var:
            value = str(var["value"])
            for mount_path, target in moved.items():
                if value.startswith(mount_path + "/"):
                    value = str(target / value[len(mount_path) + 1 :])
                    break
            env[var["name"]] = value
        elif var["valueFrom"].get("fieldRef", {}).get("fieldPath") == POD_INDEX_FIELD:
            env[var["name"]] = str(ordinal)
        else:
            raise ValueError(f"{name}: no stand-in for {var['name']}'s {var['valueFrom']}")
    return env
