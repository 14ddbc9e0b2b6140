"""The one-machine hub's settings and role configuration (dlcourse/hub.py), without starting a hub.

What each role's JupyterLab gets is read back through the tools that use it: `jupyter server extension list`
and `jupyter labextension list` with the role's JUPYTER_CONFIG_PATH, nbgrader's own config loader, and
nbgrader's API for the formgrader's Autograde button. The hub itself, in a browser: tests/test_hub_e2e.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlcourse.errors import DlcourseError
from dlcourse.hub import Settings, write_role_configs

REPO = Path(__file__).resolve().parents[1]


def _settings(**changes) -> Settings:
    base = dict(instructors=["teacher"], students=["ana", "ben"], checkout=REPO)
    return Settings(**{**base, **changes})


@pytest.mark.parametrize("changes, message", [
    ({"instructors": []}, "no instructor"),
    ({"students": []}, "no students"),
    ({"students": ["ana+1"]}, r"not a usable user name: ana\+1"),
    ({"students": ["Ana"]}, "not a usable user name: Ana"),
    ({"students": ["teacher"]}, "teacher listed as instructor and as student"),
    ({"students": ["ana", "ana"]}, "listed twice: ana"),
    ({"auth": "shared-password", "shared_password": "short"}, "8 characters or more"),
    ({"auth": "ldap"}, "--auth must be pam or shared-password"),
    ({"checkout": Path("/")}, "is not the course checkout"),
])
def test_a_class_the_hub_cannot_run_is_one_line(changes, message):
    with pytest.raises(DlcourseError, match=message):
        _settings(**changes).check()


def test_settings_from_the_environment(tmp_path):
    roster = tmp_path / "students.txt"
    roster.write_text("# section A\nana\nben  # late joiner\n\n")
    settings = Settings.from_environment({
        "DLCOURSE_HUB_INSTRUCTORS": "teacher", "DLCOURSE_HUB_STUDENTS": "cem", "DLCOURSE_HUB_STUDENTS_FILE": str(roster),
        "DLCOURSE_HUB_DIR": str(tmp_path / "state"), "DLCOURSE_ROOT": str(REPO)})
    assert settings.students == ["cem", "ana", "ben"] and settings.exchange == tmp_path / "state" / "exchange"
    assert settings.role("teacher") == "instructor" and settings.role("ana") == "student"
    env = settings.environment("ana")
    assert env["JUPYTER_CONFIG_PATH"] == str(tmp_path / "state" / "jupyter" / "student")
    assert "DLCOURSE_ROOT" not in env and "DLCOURSE_GRADING_ROOT" not in env
    assert settings.environment("teacher")["DLCOURSE_ROOT"] == str(REPO)
    with pytest.raises(DlcourseError, match="students file .* does not exist"):
        Settings.from_environment({"DLCOURSE_HUB_INSTRUCTORS": "t", "DLCOURSE_HUB_STUDENTS_FILE": "/nope"})


def _in_role(folder: Path, code: str, cwd: Path) -> dict:
    """Run ``code`` (it prints one JSON line) with ``folder`` on JUPYTER_CONFIG_PATH, as the hub starts a server."""
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(folder), "JUPYTER_CONFIG_DIR": str(folder / "none"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def roles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roles")
    return write_role_configs(folder, folder / "exchange", REPO, folder / "course", path_first=Path("/opt/course/bin"))


SERVER = """import json
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_static_page_config
app = ServerApp(); app.load_config_file(); app.init_server_extensions()  # what a server would load
print(json.dumps({"server": {k: v for k, v in app.jpserver_extensions.items() if k.startswith("nbgrader")},
                  "lab_disabled": sorted(k for k, v in get_static_page_config(level="all").get(
                      "disabledExtensions", {}).items() if v),
                  "shell": app.terminado_settings.get("shell_command")}))
"""


def test_students_get_the_assignment_list_and_no_formgrader(roles, tmp_path):
    seen = _in_role(roles["student"], SERVER, tmp_path)
    assert seen["server"] == {"nbgrader.server_extensions.formgrader": False,
                              "nbgrader.server_extensions.assignment_list": True,
                              "nbgrader.server_extensions.course_list": False,
                              "nbgrader.server_extensions.validate_assignment": True}
    assert seen["lab_disabled"] == ["@jupyter/nbgrader:course-list", "@jupyter/nbgrader:create-assignment",
                                    "@jupyter/nbgrader:formgrader"]
    # JupyterLab's terminals are login shells; the course venv's bin goes first on PATH after /etc/profile
    assert seen["shell"][:3] == ["/bin/bash", "-l", "-c"] and 'PATH="/opt/course/bin:$PATH"' in seen["shell"][3]


def test_instructors_get_every_nbgrader_extension(roles, tmp_path):
    seen = _in_role(roles["instructor"], SERVER, tmp_path)
    assert set(seen["server"].values()) == {True} and len(seen["server"]) == 4
    assert seen["lab_disabled"] == []


NBGRADER = """import json
from jupyter_core.paths import jupyter_config_path
from nbgrader.apps import NbGrader
app = NbGrader(); app.config_file_paths.append(jupyter_config_path()); app.load_config_file()  # as Validate does
c = app.config
print(json.dumps({"timeout": c.Execute.get("timeout"), "course": c.CourseDirectory.get("course_id"),
                  "exchange": c.Exchange.get("root"), "root": c.CourseDirectory.get("root"),
                  "autograde": str(c.Autograde.get("exporter_class"))}))
"""


def test_nbgrader_on_the_hub_reads_the_course_settings(roles, tmp_path):
    student = _in_role(roles["student"], NBGRADER, tmp_path)
    assert student["timeout"] == 300 and student["course"] == "dlcourse"
    assert student["exchange"] == str(roles["student"].parent / "exchange")
    teacher = _in_role(roles["instructor"], NBGRADER, tmp_path)
    assert teacher["timeout"] == 300 and teacher["root"] == str(roles["student"].parent / "course")
    assert teacher["exchange"] == str(roles["student"].parent / "exchange")
    assert teacher["autograde"] == "dlcourse.hub.UnjailedAutogradeRefused"


def test_the_formgraders_autograde_button_is_refused_and_changes_nothing(roles, tmp_path):
    """What the button calls (NbGraderAPI.autograde, force=True) fails with the reason; autograded/ is kept."""
    course = roles["student"].parent / "course"
    (course / "submitted" / "ana" / "00_setup_check").mkdir(parents=True)
    (course / "submitted" / "ana" / "00_setup_check" / "00_setup_check.ipynb").write_text(
        (REPO / "course" / "00_setup_check" / "00_setup_check.ipynb").read_text())
    graded = course / "autograded" / "ana" / "00_setup_check" / "00_setup_check.ipynb"
    graded.parent.mkdir(parents=True)
    graded.write_text("graded by dlcourse autograde")
    code = ("import json; from jupyter_core.paths import jupyter_config_path\n"
            "from nbgrader.apps import NbGrader, NbGraderAPI\nfrom nbgrader.coursedir import CourseDirectory\n"
            "app = NbGrader(); app.config_file_paths.append(jupyter_config_path()); app.load_config_file()\n"
            "api = NbGraderAPI(CourseDirectory(config=app.config), config=app.config)\n"
            "print(json.dumps(api.autograde('00_setup_check', 'ana')))\n")
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(roles["instructor"]),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "none"), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["success"] is False
    assert "`dlcourse autograde`" in result["error"] + result.get("log", "")
    assert graded.read_text() == "graded by dlcourse autograde"
    assert not (course / "gradebook.db").exists() or "ana" not in (course / "gradebook.db").read_bytes().decode(
        "latin-1")


def test_prepare_makes_the_exchange_world_writable_with_the_sticky_bit(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("creates the instructor's course directory owned by them: needs root")
    settings = _settings(instructors=["root"], state=tmp_path / "state", course_dir=tmp_path / "course")
    settings.prepare()
    assert oct(settings.exchange.stat().st_mode & 0o7777) == "0o1777"
    assert oct((tmp_path / "course").stat().st_mode & 0o777) == "0o700"
    assert (tmp_path / "state" / "jupyter" / "student" / "nbgrader_config.py").is_file()
