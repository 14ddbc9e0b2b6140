"""A JupyterHub for one class on one machine (``deploy/hub/``): who is who, and what each role's server sees.

JupyterHub's own parts do the work: an authenticator (PAM, the machine's own passwords; or JupyterHub's
shared-password authenticator for tests and demos) and the LocalProcessSpawner, which starts each person's
JupyterLab as that person's own system user. nbgrader's exchange names a student by the process's system
user (``nbgrader.utils.get_username`` is ``pwd.getpwuid(os.getuid())``; only an account called ``jovyan``
falls back to ``JUPYTERHUB_USER``), so one system user per person is what keeps students apart.

At start, the hub writes one Jupyter configuration folder per role under its state folder and puts it on the
role's ``JUPYTER_CONFIG_PATH``:

* **students**: the Assignment List and Validate; the formgrader, course list and Create Assignment are
  disabled (nbgrader's documented server-extension and labextension switches, as JSON config); nbgrader's
  config with the course id, the exchange and the course's cell timeout.
* **instructors**: every nbgrader extension, and the course's own nbgrader configuration
  (`dlcourse.grading.adapter.apply`), so ``nbgrader`` and ``dlcourse`` commands in the instructor's
  terminal and the formgrader all see one course. The formgrader's *Autograde* button would run nbgrader's
  own autograde, with student code unjailed and the kernel's verdicts; it is refused (see
  `UnjailedAutogradeRefused`): grading on the hub is ``dlcourse autograde``.

Settings come from ``DLCOURSE_HUB_*`` environment variables (`Settings.from_environment`), which
``deploy/hub/start`` (`main`) sets from its options.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import shutil
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nbconvert.exporters import NotebookExporter

from .errors import DlcourseError

CONFIG_FILE = Path("deploy") / "hub" / "jupyterhub_config.py"  # in the checkout
DEFAULT_STATE = Path("/srv/dlcourse")
ROLES = ("instructor", "student")
# nbgrader's server extensions and JupyterLab plugins (nbgrader's installation docs name them).
SERVER_EXTENSIONS = {
    "instructor": {"formgrader": True, "assignment_list": True, "course_list": True, "validate_assignment": True},
    "student": {"formgrader": False, "assignment_list": True, "course_list": False, "validate_assignment": True},
}
LAB_PLUGINS_DISABLED = {
    "instructor": [],
    "student": ["formgrader", "course-list", "create-assignment"],
}
# What a single-user server inherits from the hub's environment (JupyterHub's defaults plus the course's).
ENV_KEEP = ["PATH", "PYTHONPATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "VIRTUAL_ENV", "CONDA_ROOT",
            "CONDA_DEFAULT_ENV", "JUPYTERHUB_SINGLEUSER_APP", "DLCOURSE_DATA_DIR", "KERAS_BACKEND",
            "TF_CPP_MIN_LOG_LEVEL"]
_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")


def _project_root() -> Path:
    from . import project

    return project.root()


def _reachable_by_others(path: Path) -> bool:
    """Whether every user may open ``path`` (a file to run or read, or a folder to read): all folders above it
    let others through, and it lets others in."""
    path = Path(path).resolve()
    if any(not folder.stat().st_mode & stat.S_IXOTH for folder in path.parents):
        return False
    mode = path.stat().st_mode
    return bool(mode & stat.S_IROTH) and (not path.is_dir() or bool(mode & stat.S_IXOTH))


class UnjailedAutogradeRefused(NotebookExporter):
    """Set as ``Autograde.exporter_class`` on the hub: the formgrader's *Autograde* button then stops at once.

    nbgrader builds a converter's exporter in ``start()``, before it removes or writes anything in
    ``autograded/`` or the gradebook, so the button fails with this message and changes nothing.
    """

    def __init__(self, *args, **kwargs):
        raise RuntimeError("On this course the formgrader's Autograde button is switched off: it would run "
                           "nbgrader's own autograde, with student code unjailed. Grade in a terminal with "
                           "`dlcourse autograde` (every kernel jailed, scores from the trusted checks).")


@dataclass
class Settings:
    """One class on one hub: who teaches, who studies, where its state, exchange and course directory are."""

    instructors: list[str]
    students: list[str]
    state: Path = DEFAULT_STATE
    exchange: Path | None = None
    checkout: Path = field(default_factory=lambda: _project_root())
    course_dir: Path | None = None  # the instructor's nbgrader course directory; None: the adapter's default
    auth: str = "pam"
    shared_password: str | None = None
    bind_url: str = "http://:8000"
    python: Path = field(default_factory=lambda: Path(sys.executable))

    def __post_init__(self):
        self.state = Path(self.state)
        self.exchange = Path(self.exchange) if self.exchange else self.state / "exchange"

    @classmethod
    def from_environment(cls, environ=None) -> "Settings":
        environ = os.environ if environ is None else environ

        def names(value: str) -> list[str]:
            return [n.strip() for n in re.split(r"[,\s]+", value or "") if n.strip()]

        students = names(environ.get("DLCOURSE_HUB_STUDENTS", ""))
        roster = environ.get("DLCOURSE_HUB_STUDENTS_FILE")
        if roster:
            path = Path(roster).expanduser()
            if not path.is_file():
                raise DlcourseError(f"students file {path} does not exist (one user name per line)")
            students += [line.split("#")[0].strip() for line in path.read_text().splitlines()
                         if line.split("#")[0].strip()]
        optional = {key: environ.get(f"DLCOURSE_HUB_{key.upper()}") for key in ("exchange", "course_dir")}
        settings = cls(
            instructors=names(environ.get("DLCOURSE_HUB_INSTRUCTORS", "")), students=students,
            state=Path(environ.get("DLCOURSE_HUB_DIR", str(DEFAULT_STATE))).expanduser(),
            exchange=Path(optional["exchange"]) if optional["exchange"] else None,
            course_dir=Path(optional["course_dir"]).expanduser() if optional["course_dir"] else None,
            auth=environ.get("DLCOURSE_HUB_AUTH", "pam"),
            shared_password=environ.get("DLCOURSE_HUB_SHARED_PASSWORD") or None,
            bind_url=environ.get("DLCOURSE_HUB_BIND_URL", "http://:8000"),
            python=Path(environ.get("DLCOURSE_HUB_PYTHON", sys.executable)),
            checkout=Path(environ["DLCOURSE_ROOT"]).expanduser().resolve() if environ.get("DLCOURSE_ROOT")
            else _project_root())
        settings.check()
        return settings

    # ------------------------------------------------------------------ checks (one line each, with the fix)

    def check(self, system: bool = False) -> None:
        """Refuse a class the hub cannot run; with ``system``, also check the machine (users, root, binaries)."""
        if not self.instructors:
            raise DlcourseError("no instructor: pass --instructors NAME (a system user on this machine)")
        if not self.students:
            raise DlcourseError("no students: pass --students a,b,c or --students-file FILE (one user name a line)")
        everyone = self.instructors + self.students
        bad = [n for n in everyone if not _NAME.match(n)]
        if bad:
            raise DlcourseError(f"not a usable user name: {', '.join(bad)} (lower-case letters, digits, '_', '-', "
                                f"'.'; nbgrader's exchange cannot use '+' or '*')")
        both = sorted(set(self.instructors) & set(self.students))
        if both:
            raise DlcourseError(f"{', '.join(both)} listed as instructor and as student: give each person one role")
        doubled = sorted({n for n in everyone if everyone.count(n) > 1})
        if doubled:
            raise DlcourseError(f"listed twice: {', '.join(doubled)}")
        if self.auth not in ("pam", "shared-password"):
            raise DlcourseError(f"--auth must be pam or shared-password, got {self.auth!r}")
        if self.auth == "shared-password" and len(self.shared_password or "") < 8:
            raise DlcourseError("--auth shared-password needs DLCOURSE_HUB_SHARED_PASSWORD of 8 characters or more "
                                "(JupyterHub's SharedPasswordAuthenticator refuses shorter ones)")
        if not (self.checkout / "solutions").is_dir():
            raise DlcourseError(f"{self.checkout} is not the course checkout (no solutions/): set DLCOURSE_ROOT")
        if not system:
            return
        if os.geteuid() != 0:
            raise DlcourseError("the hub starts each person's JupyterLab as their own system user, so it must run "
                                "as root: sudo deploy/hub/start ...")
        missing = []
        for name in everyone:
            try:
                pwd.getpwnam(name)
            except KeyError:
                missing.append(name)
        if missing:
            raise DlcourseError(f"no system user {', '.join(missing)}: create one per person first "
                                f"(e.g. `adduser {missing[0]}`), see README 'Running a class on one machine'")
        python = Path(os.path.realpath(self.python))
        package = Path(__file__).resolve().parent
        for path, what in ((python, f"the Python of {self.python}"), (package, "the dlcourse package")):
            if not _reachable_by_others(path):
                raise DlcourseError(
                    f"{what} ({path}) cannot be used by other users (a folder above it is private), so no "
                    f"student's server could start: make the hub's venv from a Python every user can run and "
                    f"install the course into it, e.g. `/usr/bin/python3 -m venv /opt/dlcourse && "
                    f"/opt/dlcourse/bin/pip install '{self.checkout}[hub]'` (README, 'Running a class on one machine')")
        for tool, fix in (("jupyterhub-singleuser", "pip install -e '.[hub]'"),
                          ("configurable-http-proxy", "npm install -g configurable-http-proxy@5.3.0")):
            if not self.tool(tool):
                raise DlcourseError(f"{tool} not found: {fix}")

    def tool(self, name: str) -> str | None:
        beside = self.python.parent / name
        return str(beside) if beside.exists() else shutil.which(name)

    # ------------------------------------------------------------------ what each role gets

    def role(self, name: str) -> str:
        return "instructor" if name in self.instructors else "student"

    def config_dir(self, role: str) -> Path:
        return self.state / "jupyter" / role

    def grading_root(self) -> Path:
        from .grading.adapter import grading_root

        return self.course_dir.resolve() if self.course_dir else grading_root(self.checkout)

    def environment(self, name: str) -> dict[str, str]:
        """Variables for one person's server (on top of `ENV_KEEP`)."""
        role = self.role(name)
        env = {"JUPYTER_CONFIG_PATH": str(self.config_dir(role)),
               "PATH": os.pathsep.join([str(self.python.parent), os.environ.get("PATH", "/usr/bin:/bin")]),
               "DLCOURSE_EXCHANGE": str(self.exchange)}
        if role == "instructor":
            env["DLCOURSE_ROOT"] = str(self.checkout)
            if self.course_dir:
                env["DLCOURSE_GRADING_ROOT"] = str(self.grading_root())
        return env

    def notebook_dir(self, name: str) -> str | None:
        """The instructor's JupyterLab opens where the formgrader can reach the course directory; students: home."""
        if self.role(name) != "instructor":
            return None
        root = self.grading_root()
        if root.is_relative_to(self.checkout):
            return str(self.checkout)
        return None  # the instructor's home (the formgrader warns if the course directory is outside it)

    def write_role_configs(self) -> dict[str, Path]:
        return write_role_configs(self.state / "jupyter", self.exchange, self.checkout, self.grading_root(),
                                  path_first=self.python.parent)

    def prepare(self) -> None:
        """The state folder (hub database, cookie secret, role configs) and the exchange, as nbgrader needs it."""
        self.state.mkdir(parents=True, exist_ok=True)
        self.state.chmod(0o755)
        # nbgrader: "The nbgrader exchange directory writable to everyone. MUST be preexisting." World-writable
        # with the sticky bit, as /tmp: anyone may add, only the owner may remove or rename.
        self.exchange.mkdir(parents=True, exist_ok=True)
        self.exchange.chmod(0o777 | stat.S_ISVTX)
        root = self.grading_root()
        if not root.exists():  # the gradebook and every submission: the instructor's alone
            root.mkdir(parents=True)
            owner = pwd.getpwnam(self.instructors[0])
            os.chown(root, owner.pw_uid, owner.pw_gid)
            root.chmod(0o700)
        self.write_role_configs()

    def warnings(self) -> list[str]:
        """What a student could read that they should not: the hidden checks, the course directory."""
        found = []
        for path, what in ((self.checkout / "solutions", "the solutions and hidden checks"),
                           (self.grading_root(), "the gradebook and every submission")):
            if path.exists() and _reachable_by_others(path):
                found.append(f"{path} ({what}) can be read by every user on this machine: "
                             f"chmod o-rwx {path} (or the folder above it)")
        for name in self.instructors + self.students:
            try:
                home = Path(pwd.getpwnam(name).pw_dir)
            except KeyError:
                continue
            if home.exists() and _reachable_by_others(home):
                found.append(f"{name}'s home {home} can be read by every user on this machine: chmod 700 {home}")
        return found

    # ------------------------------------------------------------------ JupyterHub's configuration

    def configure(self, c) -> None:
        """Fill JupyterHub's config object ``c`` (called from deploy/hub/jupyterhub_config.py)."""
        c.JupyterHub.bind_url = self.bind_url
        c.JupyterHub.db_url = f"sqlite:///{self.state / 'jupyterhub.sqlite'}"
        c.JupyterHub.cookie_secret_file = str(self.state / "jupyterhub_cookie_secret")
        c.ConfigurableHTTPProxy.pid_file = str(self.state / "jupyterhub-proxy.pid")
        c.ConfigurableHTTPProxy.command = [self.tool("configurable-http-proxy") or "configurable-http-proxy"]
        c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
        c.Authenticator.allowed_users = set(self.instructors + self.students)
        if self.auth == "shared-password":
            c.JupyterHub.authenticator_class = "shared-password"
            c.SharedPasswordAuthenticator.user_password = self.shared_password
        else:
            c.JupyterHub.authenticator_class = "pam"
        c.Spawner.cmd = [self.tool("jupyterhub-singleuser") or "jupyterhub-singleuser"]
        c.Spawner.default_url = "/lab"
        c.Spawner.env_keep = ENV_KEEP
        # JupyterLab's first start on a busy 2-core machine takes tens of seconds.
        c.Spawner.http_timeout = 180
        c.Spawner.start_timeout = 240
        settings = self

        def pre_spawn_hook(spawner):
            name = spawner.user.name
            spawner.environment = {**spawner.environment, **settings.environment(name)}
            folder = settings.notebook_dir(name)
            if folder:
                spawner.notebook_dir = folder

        c.Spawner.pre_spawn_hook = pre_spawn_hook
        c.JupyterHub.extra_handlers = formgrader_link_handlers()


def formgrader_link_handlers() -> list:
    """Send the formgrader's folder links on to the logged-in person's own server.

    In a browser tab of its own (the only way on JupyterHub >= 4.1), nbgrader 0.9.6's formgrader links the
    source and release folders as ``/tree/PATH``, without the server's base URL (``linkTo`` in its
    ``formgrader/static/js/utils.js``): on a hub they 404. Outside ``/hub/``, JupyterHub redirects any path to
    ``/hub/PATH``; these handlers take ``/hub/tree|notebooks|edit/PATH`` to JupyterHub's own
    ``/hub/user-redirect/…``, which opens ``/user/<name>/tree/PATH``. (``JupyterHub.extra_handlers`` logs a
    deprecation warning since 3.1; a hub service would be the long way round for one redirect.)
    """
    from tornado.web import RedirectHandler

    return [(r"/(tree|notebooks|edit)/(.*)", RedirectHandler, {"url": "/hub/user-redirect/{0}/{1}"})]


def nbgrader_config(role: str, exchange: Path, checkout: Path, course_dir: Path) -> str:
    """The text of a role's nbgrader_config.py (found by nbgrader on the role's JUPYTER_CONFIG_PATH)."""
    from .grading.adapter import COURSE_ID, EXECUTE_TIMEOUT

    head = (f'"""nbgrader for the {role}s of this hub: written by dlcourse.hub, do not edit."""\n\n'
            "c = get_config()  # noqa: F821\n")
    if role == "student":
        return head + (f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
                       f"c.Exchange.root = {str(exchange)!r}\n"
                       "# The course's cell timeout for Validate (nbgrader's default is 30 s).\n"
                       f"c.Execute.timeout = {EXECUTE_TIMEOUT}\n"
                       "c.Execute.interrupt_on_timeout = True\n")
    return head + ("from pathlib import Path\n\nfrom dlcourse.grading.adapter import apply\n\n"
                   f"apply(c, Path({str(checkout)!r}), root=Path({str(course_dir)!r}), "
                   f"exchange=Path({str(exchange)!r}))\n"
                   "# The formgrader's Autograde button would grade unjailed: refused; use `dlcourse autograde`.\n"
                   "c.Autograde.exporter_class = 'dlcourse.hub.UnjailedAutogradeRefused'\n")


def write_role_configs(folder: Path, exchange: Path, checkout: Path, course_dir: Path,
                       path_first: Path | None = None) -> dict[str, Path]:
    """``folder/<role>/``: jupyter_server_config.json, labconfig/page_config.json, nbgrader_config.py (world-readable).

    Put ``folder/<role>`` on a person's ``JUPYTER_CONFIG_PATH``; it ranks above the venv's own configuration
    (where nbgrader enables all its extensions), below the person's ``~/.jupyter``. With ``path_first`` (the
    course venv's ``bin``), JupyterLab's terminals put it first on PATH: they are login shells, and a login
    shell's /etc/profile sets PATH again, so `nbgrader` and `dlcourse` would not be found.
    """
    written = {}
    for role in ROLES:
        target = Path(folder) / role
        (target / "labconfig").mkdir(parents=True, exist_ok=True)
        server = {"jpserver_extensions": {f"nbgrader.server_extensions.{ext}": on
                                          for ext, on in SERVER_EXTENSIONS[role].items()}}
        if path_first:
            shell = f'export PATH="{path_first}:$PATH"; exec "${{SHELL:-/bin/bash}}" -i'
            server["terminado_settings"] = {"shell_command": ["/bin/bash", "-l", "-c", shell]}
        (target / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": server}, indent=2) + "\n")
        disabled = {f"@jupyter/nbgrader:{plugin}": True for plugin in LAB_PLUGINS_DISABLED[role]}
        (target / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": disabled}, indent=2) + "\n")
        (target / "nbgrader_config.py").write_text(nbgrader_config(role, exchange, checkout, course_dir))
        for path in (Path(folder), target, target / "labconfig"):
            path.chmod(0o755)
        written[role] = target
    return written


def configure(c, environ=None) -> Settings:
    """deploy/hub/jupyterhub_config.py: the class from ``DLCOURSE_HUB_*``, or one line and exit 2."""
    try:
        settings = Settings.from_environment(environ)
        settings.check(system=True)
        settings.prepare()
    except DlcourseError as exc:
        print(f"dlcourse hub: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    settings.configure(c)
    return settings


# ---------------------------------------------------------------------------------------- deploy/hub/start

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deploy/hub/start",
        description="Start a JupyterHub for one class on this machine (run as root). Each person logs in as "
                    "their own system user; students get the Assignment List, instructors the formgrader. "
                    "Options after -- go to jupyterhub itself.")
    parser.add_argument("--instructors", required=True, help="comma list of system user names")
    parser.add_argument("--students", default="", help="comma list of system user names")
    parser.add_argument("--students-file", help="file with one student user name per line")
    parser.add_argument("--dir", default=str(DEFAULT_STATE),
                        help=f"the hub's state: its database, the exchange, the role configs (default {DEFAULT_STATE})")
    parser.add_argument("--exchange", help="nbgrader's exchange folder (default DIR/exchange)")
    parser.add_argument("--course-dir", help="the instructor's nbgrader course directory (default: "
                                             "DLCOURSE_GRADING_ROOT or autograder/work in the checkout)")
    parser.add_argument("--bind-url", default="http://:8000", help="where students connect (default http://:8000)")
    parser.add_argument("--auth", choices=["pam", "shared-password"], default="pam",
                        help="pam (default): each person's system password; shared-password: one password "
                             "from DLCOURSE_HUB_SHARED_PASSWORD for everybody (tests and demos only)")
    parser.add_argument("--check", action="store_true", help="check the settings and the machine, then exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = build_parser().parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    env = dict(os.environ)
    env.update({"DLCOURSE_HUB_INSTRUCTORS": args.instructors, "DLCOURSE_HUB_STUDENTS": args.students,
                "DLCOURSE_HUB_DIR": str(Path(args.dir).expanduser().resolve()), "DLCOURSE_HUB_AUTH": args.auth,
                "DLCOURSE_HUB_BIND_URL": args.bind_url, "DLCOURSE_HUB_PYTHON": sys.executable})
    for key, value in (("STUDENTS_FILE", args.students_file), ("EXCHANGE", args.exchange),
                       ("COURSE_DIR", args.course_dir)):
        if value:
            env[f"DLCOURSE_HUB_{key}"] = str(Path(value).expanduser().resolve())
        else:
            env.pop(f"DLCOURSE_HUB_{key}", None)
    try:
        settings = Settings.from_environment(env)
        settings.check(system=True)
    except DlcourseError as exc:
        print(f"dlcourse hub: error: {exc}", file=sys.stderr)
        return 2
    print(f"class: {len(settings.instructors)} instructor(s), {len(settings.students)} student(s); "
          f"exchange {settings.exchange}; course directory {settings.grading_root()}; state {settings.state}")
    for warning in settings.warnings():
        print(f"dlcourse hub: warning: {warning}", file=sys.stderr)
    if args.check:
        return 0
    settings.prepare()
    jupyterhub = settings.tool("jupyterhub")
    if not jupyterhub:
        print("dlcourse hub: error: jupyterhub not found: pip install -e '.[hub]'", file=sys.stderr)
        return 2
    os.chdir(settings.state)
    os.execve(jupyterhub, [jupyterhub, "-f", str(settings.checkout / CONFIG_FILE), *extra], env)
    return 0  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
