"""deploy/k8s/, checked as far as this machine can: no cluster, no container runtime, no helm.

* The YAML files parse, and the PVC is ReadWriteMany with the claim name the values mount.
* The values use only keys the Zero to JupyterHub chart (4.4.0) defines, each at a place its configuration
  reference documents (listed below with its anchor). With ``DLCOURSE_Z2JH_CHART`` pointing at the unpacked
  chart (``helm pull jupyterhub/jupyterhub --version 4.4.0 --untar``), the values merged onto the chart's
  defaults are validated against its ``values.schema.json`` too, as helm does.
* The hub's extraConfig runs: instructors get the instructor folder, students keep the default, and no
  spawner's environment leaks into another's.
* The Dockerfile copies only what a student may see (never solutions/, tests/ or autograder/), and the role
  folders it writes are the ones the one-machine hub writes.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "deploy" / "k8s"
REFERENCE = "https://z2jh.jupyter.org/en/stable/resources/reference.html"
# Every key path the values set; each is a heading of the chart's configuration reference (chart 4.4.0), at
# REFERENCE + "#" + the path in lower case with "-" for ".", e.g. #singleuser-storage-extravolumes. Below a
# free-form key the chart passes the content on as it is (hub.config becomes JupyterHub's traitlets config,
# extraConfig Python code, extraEnv variables, the volumes Kubernetes volume specs).
DOCUMENTED = {
    "hub.config", "hub.extraConfig",
    "singleuser.image.name", "singleuser.image.tag", "singleuser.defaultUrl",
    "singleuser.cpu.limit", "singleuser.cpu.guarantee", "singleuser.memory.limit", "singleuser.memory.guarantee",
    "singleuser.extraEnv",
    "singleuser.storage.type", "singleuser.storage.capacity",
    "singleuser.storage.extraVolumes", "singleuser.storage.extraVolumeMounts",
}
FREE_FORM = {"hub.config", "hub.extraConfig", "singleuser.extraEnv", "singleuser.storage.extraVolumes",
             "singleuser.storage.extraVolumeMounts"}


def _values() -> dict:
    return yaml.safe_load((K8S / "values.yaml").read_text())


def _paths(tree: dict, prefix: str = "") -> set[str]:
    found = set()
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if path in FREE_FORM or not isinstance(value, dict):
            found.add(path)
        else:
            found |= _paths(value, f"{path}.")
    return found


def test_values_use_only_documented_keys():
    used = _paths(_values())
    undocumented = sorted(used - DOCUMENTED)
    assert not undocumented, (f"keys not checked against the z2jh reference ({REFERENCE}): {undocumented}; look "
                              f"each up there and add it to DOCUMENTED")


def test_the_exchange_is_one_readwritemany_volume_mounted_in_every_pod():
    values, pvc = _values(), yaml.safe_load((K8S / "exchange-pvc.yaml").read_text())
    assert pvc["kind"] == "PersistentVolumeClaim" and pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    storage = values["singleuser"]["storage"]
    (volume,) = storage["extraVolumes"]
    (mount,) = storage["extraVolumeMounts"]
    assert volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    assert mount["name"] == volume["name"] and mount["mountPath"] == "/srv/nbgrader/exchange"
    # the image's role folders point nbgrader at the same place
    assert "exchange=Path('/srv/nbgrader/exchange')" in (K8S / "Dockerfile").read_text()


def _merge(defaults: dict, values: dict) -> dict:
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merge(merged[key], value) if both else value
    return merged


def test_values_against_the_charts_schema():
    chart = os.environ.get("DLCOURSE_Z2JH_CHART")
    if not chart:
        pytest.skip("set DLCOURSE_Z2JH_CHART to the unpacked chart (helm pull jupyterhub/jupyterhub "
                    "--version 4.4.0 --untar) to validate against its values.schema.json")
    import jsonschema

    chart = Path(chart)
    schema_file = next(p for p in (chart / "values.schema.json", chart / "values.schema.yaml") if p.exists())
    schema = yaml.safe_load(schema_file.read_text())  # JSON is YAML
    merged = _merge(yaml.safe_load((chart / "values.yaml").read_text()), _values())
    errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(merged)]
    assert not errors, errors


class _Spawner:
    def __init__(self, groups, environment):
        self.user = SimpleNamespace(groups=[SimpleNamespace(name=g) for g in groups])
        self.environment = environment


def test_hub_extra_config_gives_instructors_their_folder_and_nobody_else():
    code = _values()["hub"]["extraConfig"]["dlcourse-roles"]
    c = SimpleNamespace(KubeSpawner=SimpleNamespace())
    exec(compile(code, "hub.extraConfig.dlcourse-roles", "exec"), {"c": c})
    shared = dict(_values()["singleuser"]["extraEnv"])  # as the chart configures every spawner
    teacher, student = _Spawner(["instructors"], shared), _Spawner([], shared)
    c.KubeSpawner.pre_spawn_hook(teacher)
    c.KubeSpawner.pre_spawn_hook(student)
    assert teacher.environment["JUPYTER_CONFIG_PATH"] == "/etc/dlcourse/jupyter/instructor"
    assert teacher.environment["DLCOURSE_ROOT"] == "/home/jovyan/dlcourse"
    assert student.environment == {"JUPYTER_CONFIG_PATH": "/etc/dlcourse/jupyter/student"}
    assert shared == {"JUPYTER_CONFIG_PATH": "/etc/dlcourse/jupyter/student"}, "the shared default was changed"
    groups = _values()["hub"]["config"]["JupyterHub"]["load_groups"]
    assert set(groups["instructors"]["users"]) <= set(_values()["hub"]["config"]["Authenticator"]["allowed_users"])


def test_dockerfile_copies_nothing_a_student_must_not_see(tmp_path):
    text = (K8S / "Dockerfile").read_text()
    copied = [part for line in re.findall(r"^COPY\s+(.+)$", text, flags=re.M)
              for part in line.split()[:-1] if not part.startswith("--")]
    assert copied == ["pyproject.toml", "README.md", "dlcourse"], copied
    for part in copied:
        assert (REPO / part).exists(), part
    assert not re.search(r"solutions|tests/|autograder", "\n".join(re.findall(r"^(?:COPY|ADD).*$", text, flags=re.M)))
    assert "ENV JUPYTER_CONFIG_PATH=/etc/dlcourse/jupyter/student" in text
    # the role folders the image writes, with this checkout's code
    call = re.search(r'python -c "(.+?)"', text.replace("\\\n", ""), flags=re.S).group(1)
    call = call.replace("/etc/dlcourse/jupyter", str(tmp_path))
    exec(call, {})
    student = json.loads((tmp_path / "student" / "jupyter_server_config.json").read_text())
    assert student["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False
    assert "/srv/nbgrader/exchange" in (tmp_path / "student" / "nbgrader_config.py").read_text()
    assert "/home/jovyan/dlcourse" in (tmp_path / "instructor" / "nbgrader_config.py").read_text()
