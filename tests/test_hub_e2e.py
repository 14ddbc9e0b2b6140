"""A class on the one-machine JupyterHub (deploy/hub/), end to end, in a real browser.

Headless Chromium (Debian's, driven by Playwright) does what the people do: the instructor releases lesson 00
from a terminal in JupyterLab; two students log in, fetch it from the Assignment List, answer it by typing
into the cells (one fully right, one partly), press Validate and submit; the instructor collects, autogrades
(`dlcourse autograde`, every kernel jailed) and releases feedback; the formgrader shows the grades and its
Autograde button refuses to grade unjailed; each student fetches their feedback and sees their own score, with
no test or check source in the page. The grades are read from the gradebook too.

Real JupyterHub, configurable-http-proxy, the LocalProcessSpawner and one system user per person, created
for the test and removed after it; every process the test starts is stopped by its PID, also on failure.
A screenshot per step goes to ``$DLCOURSE_ARTIFACTS/hub_e2e`` (else pytest's tmp dir); the folder is printed.

Needs root, chromium (``apt-get install chromium``), configurable-http-proxy (``npm install -g
configurable-http-proxy@5.3.0``), the ``hub`` extra (``pip install -e '.[hub]'``), bubblewrap, and a Python
and checkout that other users can run and read. Without them it skips, naming what is missing; with
``CI=true`` it fails instead.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LESSON = "00_setup_check"
CHROMIUM = os.environ.get("DLCOURSE_CHROMIUM", "/usr/bin/chromium")
pytestmark = [pytest.mark.slow, pytest.mark.grader]

# What each student types. The body lines sit one level in, where JupyterLab's editor puts the cursor after
# `def ...:` and Enter, so the text can be typed line by line as a person types it.
RIGHT = {
    "scale_to_unit": ["def scale_to_unit(images):", "    return np.asarray(images, dtype=np.float32) / 255.0"],
    "accuracy": ["def accuracy(labels, predicted_labels):",
                 "    return float(np.mean(np.ravel(labels) == np.ravel(predicted_labels)))"],
    "one_hot": ["def one_hot(labels, num_classes):",
                "    return np.eye(num_classes, dtype=np.float32)[np.ravel(labels).astype(int)]"],
    "standardise": ["def standardise(features):",
                    "    features = np.asarray(features, dtype=np.float64)",
                    "    spread = features.std(axis=0)",
                    "    return (features - features.mean(axis=0)) / np.where(spread > 0, spread, 1.0)"],
}
# Partly right: two exercises right (1 + 2 points), one_hot left as released, standardise divides by a zero
# spread (its constant column becomes nan): 3 of 6.
PARTLY = {
    "scale_to_unit": RIGHT["scale_to_unit"],
    "accuracy": RIGHT["accuracy"],
    "standardise": ["def standardise(features):",
                    "    return (features - features.mean(axis=0)) / features.std(axis=0)"],
}
EXPECTED = {  # grade cell -> points, per student
    "right": {"scale_to_unit-test": 1, "accuracy-test": 2, "one_hot-test": 1, "standardise-test": 2},
    "partly": {"scale_to_unit-test": 1, "accuracy-test": 2, "one_hot-test": 0, "standardise-test": 0},
}


# ------------------------------------------------------------------------------------------ requirements

def _missing() -> list[str]:
    from dlcourse.hub import _reachable_by_others

    missing = []
    if os.geteuid() != 0:
        missing.append("root (the test creates one system user per person and the hub runs as root)")
    if not (os.access(CHROMIUM, os.X_OK)):
        missing.append(f"chromium at {CHROMIUM} (apt-get install chromium)")
    if not shutil.which("configurable-http-proxy"):
        missing.append("configurable-http-proxy (npm install -g configurable-http-proxy@5.3.0)")
    for module in ("jupyterhub", "playwright"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"{module} (pip install -e '.[hub]')")
    if not (Path(sys.executable).parent / "jupyterhub-singleuser").exists():
        missing.append(f"jupyterhub-singleuser beside {sys.executable} (pip install -e '.[hub]')")
    if not shutil.which("bwrap"):
        missing.append("bubblewrap (apt-get install bubblewrap), for the jailed autograde")
    data = os.environ.get("DLCOURSE_DATA_DIR")
    if data and Path(data).exists() and not _reachable_by_others(Path(data)):
        missing.append(f"the staged data {data} readable by other users")
    if os.geteuid() == 0 and shutil.which("bwrap") and subprocess.run(
            ["runuser", "-u", "nobody", "--", "bwrap", "--unshare-user", "--ro-bind", "/", "/", "true"],
            capture_output=True).returncode != 0:
        missing.append("unprivileged user namespaces (the instructor's jailed autograde runs bwrap as that user)")
    for path, what in ((Path(os.path.realpath(sys.executable)), "this Python"), (REPO / "dlcourse", "the checkout")):
        if not _reachable_by_others(path):
            missing.append(f"{what} ({path}) usable by other users: a folder above it is private (make the venv "
                           f"from /usr/bin/python3: PYTHON=/usr/bin/python3 ./course.sh setup, in a checkout "
                           f"outside /root)")
    return missing


@pytest.fixture(scope="module")
def requirements():
    missing = _missing()
    if missing:
        message = "the hub's end-to-end test needs " + "; ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


# ------------------------------------------------------------------------------------------ processes

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pids_of(uid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except FileNotFoundError:
                pass
    return found


def _stop(pid: int, grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; a pid that is gone already is fine."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Hub:
    """The hub, its system users and its state, all under one temporary folder; `close` undoes all of it."""

    def __init__(self, artifacts: Path):
        tag = secrets.token_hex(3)
        self.instructor = f"dlcinst{tag}"
        self.students = {"right": f"dlcana{tag}", "partly": f"dlcben{tag}"}
        self.password = secrets.token_urlsafe(12)
        self.base = Path(tempfile.mkdtemp(prefix="dlcourse-hub-"))
        self.base.chmod(0o755)
        self.state = self.base / "state"
        self.artifacts = artifacts
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.created: list[str] = []
        self.process: subprocess.Popen | None = None
        self.log = artifacts / "hub.log"

    @property
    def everyone(self) -> list[str]:
        return [self.instructor, *self.students.values()]

    def home(self, name: str) -> Path:
        return Path(pwd.getpwnam(name).pw_dir)

    @property
    def course_dir(self) -> Path:
        return self.home(self.instructor) / "course"

    def create_users(self) -> None:
        (self.base / "home").mkdir(mode=0o755)
        for name in self.everyone:
            subprocess.run(["useradd", "--create-home", "--home-dir", str(self.base / "home" / name),
                            "--shell", "/bin/bash", name], check=True, capture_output=True)
            self.created.append(name)
            self.home(name).chmod(0o700)

    def start(self) -> None:
        env = {**os.environ, "DLCOURSE_HUB_SHARED_PASSWORD": self.password, "DLCOURSE_ROOT": str(REPO)}
        command = [sys.executable, "-m", "dlcourse.hub", "--instructors", self.instructor,
                   "--students", ",".join(self.students.values()), "--dir", str(self.state),
                   "--course-dir", str(self.course_dir), "--bind-url", self.url, "--auth", "shared-password",
                   "--", f"--JupyterHub.hub_port={_free_port()}",
                   f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{_free_port()}"]
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
                                            start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the hub exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the hub did not answer at {self.url} within 90 s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def close(self) -> None:
        """Stop the hub (which stops the servers and the proxy), then anything left of ours, by PID; remove all."""
        if self.process is not None:
            _stop(self.process.pid, grace=30)
            self.process.wait(timeout=10)
        proxy = self.state / "jupyterhub-proxy.pid"
        if proxy.exists():
            try:
                pid = int(proxy.read_text().strip())
                if Path(f"/proc/{pid}/cmdline").read_bytes().find(b"configurable-http-proxy") >= 0:
                    _stop(pid)
            except (ValueError, FileNotFoundError):
                pass
        for name in self.created:
            uid = pwd.getpwnam(name).pw_uid
            for _ in range(3):
                pids = _pids_of(uid)
                if not pids:
                    break
                for pid in pids:
                    _stop(pid, grace=5)
        for name in self.created:
            subprocess.run(["userdel", "--remove", name], capture_output=True)
            subprocess.run(["groupdel", name], capture_output=True)  # if userdel left the user's group
        shutil.rmtree(self.base, ignore_errors=True)


# ------------------------------------------------------------------------------------------ the browser

class Person:
    """One person's browser context, logged in to the hub."""

    def __init__(self, hub: Hub, browser, name: str):
        self.hub, self.name = hub, name
        self.context = browser.new_context(viewport={"width": 1440, "height": 900})
        self.context.set_default_timeout(90_000)
        self.page = self.context.new_page()

    def start_log_in(self) -> None:
        """Log in; the hub starts this person's server (the test goes on meanwhile: `wait_for_lab`)."""
        page = self.page
        page.goto(f"{self.hub.url}/hub/login")
        page.fill("#username_input", self.name)
        page.fill("#password_input", self.hub.password)
        page.click("#login_submit", no_wait_after=True)

    def wait_for_lab(self) -> None:
        page = self.page
        page.wait_for_url(re.compile(rf".*/user/{self.name}/lab.*"), timeout=300_000)
        page.locator("#jp-main-dock-panel").wait_for(timeout=180_000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for(timeout=180_000)

    def log_in(self) -> None:
        self.start_log_in()
        self.wait_for_lab()

    def menu_commands(self) -> dict[str, str]:
        """The Nbgrader menu's entries that this person's JupyterLab offers, {command: label}.

        nbgrader's menu plugin adds an entry for every nbgrader command; a disabled plugin never registers its
        command, and its entry is drawn without a label.
        """
        page = self.page
        page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text="Nbgrader").click()
        items = page.locator("#jp-mainmenu-nbgrader li[data-command]")
        items.first.wait_for()
        found = {}
        for i in range(items.count()):
            label = items.nth(i).locator(".lm-Menu-itemLabel").inner_text().strip()
            if label:
                found[items.nth(i).get_attribute("data-command")] = label
        return found

    def close_menu(self) -> None:
        self.page.keyboard.press("Escape")

    def tab(self, label: str):
        return self.page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=label)


class Shots:
    def __init__(self, folder: Path):
        self.folder, self.count, self.steps = folder, 0, []
        self.started = time.monotonic()

    def take(self, page, name: str, full_page: bool = False) -> None:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.steps.append({"step": path.stem, "at_s": round(time.monotonic() - self.started, 1)})


def _type_cell(page, grade_id_source: str, lines: list[str]) -> None:
    """Select the answer cell that defines ``grade_id_source`` and type ``lines`` into it, key by key."""
    editor = page.locator(".jp-Notebook .jp-CodeCell .cm-content", has_text=f"def {grade_id_source}(")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    for number, line in enumerate(lines):
        if number:
            page.keyboard.press("Enter")  # the editor indents the new line as Python needs
        page.keyboard.type(line.lstrip() if number else line, delay=5)
    typed = editor.inner_text().replace("\u00a0", " ")
    assert [t.rstrip() for t in typed.splitlines()] == lines, f"typed {typed!r}, wanted {lines!r}"


def _terminal(person: Person):
    """A new terminal, from the command palette (as from File > New > Terminal)."""
    page = person.page
    page.keyboard.press("ControlOrMeta+Shift+c")
    page.locator("#modal-command-palette input").fill("New Terminal")
    page.locator('#modal-command-palette li.lm-mod-active[data-command="terminal:create-new"]').wait_for()
    page.keyboard.press("Enter")
    page.locator(".jp-Terminal .xterm").wait_for()
    return page.locator(".jp-Terminal").last


def _run_in_terminal(person: Person, terminal, command: str, name: str, timeout: float = 420) -> str:
    """Type ``command`` into the instructor's terminal; wait for it to end; its output (from a log file)."""
    home = person.hub.home(person.name)
    log, status = home / f".e2e-{name}.log", home / f".e2e-{name}.rc"
    terminal.click()
    person.page.keyboard.type(f"{command} 2>&1 | tee ~/{log.name}; echo ${{PIPESTATUS[0]}} > ~/{status.name}\n",
                              delay=2)
    deadline = time.monotonic() + timeout
    while not (status.exists() and status.read_text().strip()):
        if time.monotonic() > deadline:
            raise AssertionError(f"`{command}` did not finish within {timeout:.0f} s:\n"
                                 f"{log.read_text() if log.exists() else ''}")
        time.sleep(0.5)
    output = log.read_text()
    time.sleep(0.5)  # the terminal draws the last lines
    assert status.read_text().strip() == "0", f"`{command}` failed:\n{output}"
    return output


# ------------------------------------------------------------------------------------------ the class

@pytest.fixture(scope="module")
def artifacts(tmp_path_factory, pytestconfig) -> Path:
    base = os.environ.get("DLCOURSE_ARTIFACTS")
    folder = Path(base) / "hub_e2e" if base else tmp_path_factory.mktemp("hub_e2e")
    folder.mkdir(parents=True, exist_ok=True)
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    line = f"hub end-to-end screenshots and logs: {folder}"
    reporter.write_line(line) if reporter else print(line, file=sys.stderr)  # shown, also when the test passes
    return folder


def _hidden_lines() -> list[str]:
    """Lines a feedback page must never show: the test cells' source and the trusted checks' source."""
    notebook = json.loads((REPO / "course" / LESSON / f"{LESSON}.ipynb").read_text())
    lines = []
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            lines += "".join(cell["source"]).splitlines()
    lines += (REPO / "solutions" / LESSON / "checks.py").read_text().splitlines()
    return [line.strip() for line in lines if len(line.strip()) >= 16]


def test_a_class_on_the_hub(requirements, artifacts):
    from playwright.sync_api import sync_playwright

    hub = Hub(artifacts)
    shots = Shots(artifacts)
    started = time.monotonic()
    try:
        hub.create_users()
        hub.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                _the_class(hub, browser, shots)
            finally:
                browser.close()
    except BaseException as exc:
        raise AssertionError(f"{exc}\n(screenshots, hub log: {artifacts})\n--- hub log ---\n{hub.log_tail()}") from exc
    finally:
        (artifacts / "steps.json").write_text(json.dumps(
            {"total_s": round(time.monotonic() - started, 1), "steps": shots.steps}, indent=2))
        hub.close()
    for name in hub.created:  # nothing of ours is left
        with pytest.raises(KeyError):
            pwd.getpwnam(name)


def _the_class(hub: Hub, browser, shots: Shots) -> None:
    # ---------------------------------------------------------------- the instructor releases lesson 00
    teacher = Person(hub, browser, hub.instructor)
    teacher.log_in()
    commands = teacher.menu_commands()
    assert "nbgrader:open-formgrader" in commands, commands
    teacher.close_menu()
    shots.take(teacher.page, "instructor-lab")
    terminal = _terminal(teacher)

    # ---------------------------------------------------------------- each student: fetch, answer, Validate, submit
    # Both log in (their servers start) while the instructor releases; each one's Validate runs while the next
    # one works. Everything a person does is still done in that person's browser page.
    people = {kind: Person(hub, browser, name) for kind, name in hub.students.items()}
    for student in people.values():
        student.start_log_in()
    teacher.page.bring_to_front()
    output = _run_in_terminal(teacher, terminal, "dlcourse release 00", "release")
    assert (hub.state / "exchange" / "dlcourse" / "outbound" / LESSON / f"{LESSON}.ipynb").is_file(), output
    shots.take(teacher.page, "instructor-released")
    for kind, student in people.items():
        name, page = student.name, student.page
        page.bring_to_front()
        student.wait_for_lab()
        commands = student.menu_commands()
        assert set(commands) == {"nbgrader:open-assignment-list"}, f"a student's Nbgrader menu offers {commands}"
        shots.take(student.page, f"{kind}-nbgrader-menu")
        page.locator('#jp-mainmenu-nbgrader li[data-command="nbgrader:open-assignment-list"]').click()
        released = page.locator("#released_assignments_list > .list_item")
        released.filter(has_text=LESSON).wait_for()
        assert student.context.request.get(f"{hub.url}/user/{name}/formgrader").status == 404
        shots.take(student.page, f"{kind}-assignment-list")
        released.filter(has_text=LESSON).locator(".item_status button", has_text="Fetch").click()
        fetched = page.locator("#fetched_assignments_list > .list_item").filter(has_text=LESSON)
        fetched.wait_for()
        assert (hub.home(name) / LESSON / f"{LESSON}.ipynb").is_file()
        fetched.locator("a", has_text=LESSON).first.click()  # expands the assignment: its notebooks
        page.locator(f"#nbgrader-dlcourse-{LESSON} .list_item a", has_text=LESSON).first.click()
        page.locator(".jp-Notebook .cm-content", has_text="def standardise(").wait_for()
        for function, lines in (RIGHT if kind == "right" else PARTLY).items():
            _type_cell(page, function, lines)
        shots.take(student.page, f"{kind}-answered")
        page.keyboard.press("ControlOrMeta+s")
        page.locator("jp-button.validate-button").click()  # runs in the student's server: next person meanwhile
    for kind, student in people.items():
        name, page = student.name, student.page
        page.bring_to_front()
        if kind == "right":
            dialog = page.locator(".nbgrader-SuccessDialog")
            dialog.wait_for(timeout=300_000)
            assert "passes all the tests" in dialog.inner_text()
        else:
            dialog = page.locator(".nbgrader-ErrorDialog")
            dialog.wait_for(timeout=300_000)
            text = dialog.inner_text()
            assert "NotImplementedError" in text and "constant third column" in text, text
        shots.take(student.page, f"{kind}-validated")
        dialog.locator("button.jp-Dialog-button").click()
        student.tab("Assignments").click()
        page.locator("#fetched_assignments_list > .list_item").filter(has_text=LESSON).locator(
            ".item_status button", has_text="Submit").click()
        page.locator("#submitted_assignments_list > .list_item").filter(has_text=LESSON).wait_for()
        shots.take(student.page, f"{kind}-submitted")
        inbound = list((hub.state / "exchange" / "dlcourse" / "inbound").glob(f"{name}+{LESSON}+*"))
        assert len(inbound) == 1 and inbound[0].stat().st_uid == pwd.getpwnam(name).pw_uid, inbound

    # ---------------------------------------------------------------- the instructor collects, grades, releases
    teacher.page.bring_to_front()
    output = _run_in_terminal(teacher, terminal, "dlcourse collect --exchange 00", "collect")
    for name in hub.students.values():
        assert (hub.course_dir / "submitted" / name / LESSON / f"{LESSON}.ipynb").is_file(), output
    # nbgrader compares each submission's student with its owner on disk: one system user per person agrees
    assert "collected 2 submission(s)" in output and "warning" not in output, output
    output = _run_in_terminal(teacher, terminal, "dlcourse autograde 00 --jobs 2 --no-progress", "autograde",
                              timeout=600)
    assert "graded 2, failed 0" in output and "NOT isolated" not in output, output
    shots.take(teacher.page, "instructor-autograded")
    output = _run_in_terminal(teacher, terminal, "dlcourse feedback --release 00", "feedback")
    assert "released feedback for 2 submission(s)" in output, output
    shots.take(teacher.page, "instructor-feedback-released")
    # The formgrader, in its own tab (JupyterHub >= 4.1 forbids the frame JupyterLab would show it in): the
    # grades are there, and its Autograde button refuses to grade unjailed.
    formgrader = teacher.context.new_page()
    formgrader.goto(f"{hub.url}/user/{hub.instructor}/formgrader/gradebook/{LESSON}/{LESSON}")
    formgrader.locator("td", has_text="6 / 6").first.wait_for()
    shots.take(formgrader, "instructor-formgrader-grades")
    formgrader.goto(f"{hub.url}/user/{hub.instructor}/formgrader/manage_submissions/{LESSON}")
    formgrader.locator("td.autograde a").first.click()
    refusal = formgrader.locator("#error-modal")
    refusal.wait_for()
    assert "`dlcourse autograde`" in refusal.inner_text(), refusal.inner_text()
    shots.take(formgrader, "instructor-formgrader-autograde-refused")
    # its folder links leave out the server's base URL (/tree/course/...); the hub sends them to the server
    link = teacher.context.request.get(f"{hub.url}/tree/course")
    assert link.status == 200 and link.url.endswith(f"/user/{hub.instructor}/tree/course"), (link.status, link.url)

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course_dir / 'gradebook.db'}", "dlcourse") as gradebook:
        for kind, name in hub.students.items():
            submission = gradebook.find_submission_notebook(LESSON, LESSON, name)
            scores = {grade.name: grade.score for grade in submission.grades if grade.name.endswith("-test")}
            assert scores == EXPECTED[kind], (name, scores)

    # ---------------------------------------------------------------- each student sees their own feedback
    hidden = _hidden_lines()
    for kind, name in hub.students.items():
        student = people[kind]
        page = student.page
        page.bring_to_front()
        student.tab("Assignments").click()
        page.locator("#refresh_assignments_list").click()
        submitted = page.locator("#submitted_assignments_list > .list_item").filter(has_text=LESSON)
        submitted.locator("button", has_text="Fetch Feedback").click()
        page.locator("#submitted_assignments_list a", has_text="view feedback").first.click()
        feedback = sorted((hub.home(name) / LESSON / "feedback").glob(f"*/{LESSON}.html"))
        assert len(feedback) == 1, feedback
        shots.take(student.page, f"{kind}-feedback-fetched")
        relative = feedback[0].relative_to(hub.home(name)).as_posix()
        view = student.context.new_page()
        view.goto(f"{hub.url}/user/{name}/files/{relative}")
        text = view.locator("body").inner_text()
        html = view.content()
        shots.take(view, f"{kind}-feedback", full_page=True)
        points = sum(EXPECTED[kind].values())
        assert f"Score: {points} / 6" in text, text
        assert name in text and all(other not in html for other in hub.students.values() if other != name)
        shown = [line for line in hidden if line in html or line in text]
        assert not shown, f"{name}'s feedback shows test or check source: {shown}"
        assert "Traceback" not in text and "assert " not in text, text
