"""A hostile class, graded in one run beside correct controls: every threat gains nothing and harms no one.

Each submission is the tiny assignment (`tiny_course`) with answer cells written as an attacker would. The jail's
claims are tested from inside the graded kernels: an answer returns the right value only if the claim held
(no network, no view of the instructor's files, no write outside the working copy, limits in force), so its
score says whether the jail held. What a kernel could do after the run (processes left behind, files changed)
is checked from outside afterwards. In CI (``CI=true``) the jail must be in force: no skip can hide it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tiny_course import GOOD, TINY, answer, assert_no_secrets, dlcourse, grades_csv, make_tiny_repo, write_tree

pytestmark = pytest.mark.grader
MARKER = "dlcourse-survivor-7d41"


def jail_problem():
    from dlcourse.grading import jail

    return jail.check()


def test_jail_is_available_in_ci():
    """CI installs bubblewrap; there, a missing jail is a failure, not a skip."""
    problem = jail_problem()
    if os.environ.get("CI") == "true":
        assert problem is None, problem
    elif problem:
        pytest.skip(problem)


def _claim(body: str) -> str:
    """An answer for ``square`` that is right only if ``body`` sets ``held = True``."""
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return (f"def _probe_claim():\n    held = False\n{indented}\n    return held\n_held = _probe_claim()\n"
            "def square(x):\n    return x * x if _held else -1\n")


BLANK_WRONG = {"double": "def double(x):\n    return 4", "square": "def square(x):\n    return 9"}


def threats(paths: dict) -> dict:
    """student -> (answer cells, expected (double, square) score, expected failure reason or None)."""
    p = paths
    return {
        # correct controls: they must lose nothing, whatever their neighbours do
        "control1": (GOOD, (1, 1), None),
        "control2": (GOOD, (1, 1), None),
        "honest_noise": ({"double": "import sys, warnings\nprint('debug', file=sys.stderr)\n"
                                    "warnings.warn('careful')\n" + GOOD["double"],
                          "square": "import logging\nlogging.warning('square ready')\n" + GOOD["square"]},
                         (1, 1), None),
        # patching what the visible tests compare with
        "patch_builtins": ({"double": "import builtins\nbuiltins.abs = lambda v: 0\nbuiltins.len = lambda v: 1\n"
                                      "def double(x):\n    return 4", "square": BLANK_WRONG["square"]}, (0, 0), None),
        # breaking the kernel itself costs only this submission: the run stops it once it no longer answers
        "kernel_breaker": ({"double": "import builtins\nbuiltins.isinstance = lambda *a: True\n" + GOOD["double"],
                            "square": GOOD["square"]}, (0, 0), "kernel would not stop"),
        "patch_numpy": ({"double": "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.array_equal = "
                                   "lambda *a, **k: True\nnp = numpy\ndef double(x):\n    return 4",
                         "square": BLANK_WRONG["square"]}, (0, 0), None),
        # rewriting the cells that follow
        "transformer": ({"double": "def _rewrite(lines):\n    return ['double = lambda x: 2 * x if x == 2 else 0\\n']\n"
                                   "get_ipython().input_transformers_cleanup.append(_rewrite)\n"
                                   "def double(x):\n    return 4", "square": BLANK_WRONG["square"]}, (0, 0), None),
        "transformer_ast": ({"double": "import ast\nclass _Gut(ast.NodeTransformer):\n"
                                       "    def visit_Assert(self, node):\n        return ast.Pass()\n"
                                       "get_ipython().ast_transformers.append(_Gut())\ndef double(x):\n    return 4",
                             "square": BLANK_WRONG["square"]}, (0, 0), None),
        # partial credit forged in display data, and objects that lie
        "displayhook": ({"double": "from IPython.display import display\n"
                                   "display({'text/plain': '1', 'application/json': {'score': 1}}, raw=True)\n"
                                   "import sys\nsys.displayhook = lambda value: print('1.0')\n"
                                   "def double(x):\n    return 4", "square": BLANK_WRONG["square"]}, (0, 0), None),
        "liars": ({"double": "class _Liar(int):\n    def __eq__(self, other):\n        return True\n"
                            "    __hash__ = int.__hash__\ndef double(x):\n    return _Liar(4)",
                   "square": "import numpy as np\nclass _Arr:\n    def __array_function__(self, *a, **k):\n"
                             "        return True\n    def __eq__(self, other):\n        return True\n"
                             "def square(x):\n    return _Arr()"}, (0, 0), None),
        # other students: their files, the gradebook, their kernels
        "vandal": ({"double": f"""
import glob, os, subprocess, sys
for path in glob.glob({p['root']!r} + '/**', recursive=True) + [{p['root']!r} + '/gradebook.db']:
    try:
        open(path, 'w').write('vandalised')
    except OSError:
        pass
code = "import time, glob\\nfor _ in range(40):\\n    time.sleep(0.5)\\n    for f in glob.glob({p['root']!r} + '/**/gradebook.db', recursive=True):\\n        open(f, 'w').write('x')  # {MARKER}"
subprocess.Popen([sys.executable, '-c', code], start_new_session=True)
def double(x):
    return 4""", "square": BLANK_WRONG["square"]}, (0, 0), None),
        "sibling_killer": ({"double": "import os, signal\nfor _pid in [int(p) for p in os.listdir('/proc') "
                                     "if p.isdigit()] + list(range(2, 400, 7)):\n    try:\n"
                                     "        os.kill(_pid, signal.SIGKILL) if _pid not in (1, os.getpid()) and "
                                     "not os.path.exists(f'/proc/self/task/{_pid}') else None\n"
                                     "    except OSError:\n        pass\n" + GOOD["double"],
                            "square": GOOD["square"]}, (1, 1), None),
        # stopping the whole class: killing the grader, malformed metadata
        "grader_killer": ({"double": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                                     "os.kill(1, signal.SIGKILL)\nos.killpg(0, signal.SIGKILL)\n" + GOOD["double"],
                           "square": GOOD["square"]}, (0, 0), "kernel died"),
        # kill(-1) reaches every process the caller may signal but itself: in the jail there is none, so it
        # raises, and only the student's own cell fails
        "kill_all": ({"double": "import os, signal\nos.kill(-1, signal.SIGKILL)\n" + GOOD["double"],
                      "square": GOOD["square"]}, (0, 1), None),
        # escapes
        "double_fork": ({"double": f"""
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp('sh', ['sh', '-c', 'sleep 300 # {MARKER}'])
    os._exit(0)
""" + GOOD["double"], "square": GOOD["square"]}, (1, 1), None),
        "net_tcp": ({"double": GOOD["double"], "square": _claim(f"""
import socket
try:
    socket.create_connection(('127.0.0.1', {p['port']}), timeout=2).close()
except OSError:
    held = True""")}, (1, 1), None),
        "net_unix": ({"double": GOOD["double"], "square": _claim(f"""
import socket
blocked = 0
for address in ({p['unix']!r}, '\\0{p['abstract']}'):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(address)
    except OSError:
        blocked += 1
    finally:
        s.close()
held = blocked == 2""")}, (1, 1), None),
        "net_setns": ({"double": GOOD["double"], "square": _claim("""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
results = []
for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
    try:
        fd = os.open(f'/proc/{pid}/ns/net', os.O_RDONLY)
    except OSError:
        continue
    results.append(libc.setns(fd, 0x40000000))
    os.close(fd)
import socket
names = sorted(n for _, n in socket.if_nameindex())
held = bool(results) and all(r != 0 for r in results) and names == ['lo']""")},
                       (1, 1), None),
        "reader": ({"double": GOOD["double"], "square": _claim(f"""
import os
targets = [{p['solutions']!r}, {p['root']!r}, {p['root']!r} + '/gradebook.db', {p['root']!r} + '/submitted',
           {p['checks']!r}, '/proc/1/root' + {p['root']!r}]
held = not any(os.path.exists(t) for t in targets)
held = held and len([n for n in os.listdir('/proc') if n.isdigit()]) < 10""")}, (1, 1), None),
        "writer": ({"double": GOOD["double"], "square": _claim(f"""
import os, sys
blocked = 0
targets = [{p['package']!r} + '/{MARKER}.py', sys.prefix + '/{MARKER}.pth', '/etc/{MARKER}', '/usr/{MARKER}',
           '/{MARKER}']
for target in targets:
    try:
        open(target, 'x').write('# owned')
    except OSError:
        blocked += 1
held = blocked == len(targets)
open('own-file.txt', 'w').write('a student may write in the working copy')""")}, (1, 1), None),
        "disk_hog": ({"double": GOOD["double"], "square": _claim("""
import os
written = 0
try:
    with open('big.bin', 'wb') as handle:
        for _ in range(4096):
            handle.write(b'0' * (1 << 20))
            written += 1
except OSError:
    pass
os.remove('big.bin') if os.path.exists('big.bin') else None
held = 0 < written < 2048""")}, (1, 1), None),
        "fork_bomb": ({"double": GOOD["double"], "square": _claim("""
import subprocess
children = []
try:
    for _ in range(1000):
        children.append(subprocess.Popen(['sleep', '30']))
except OSError:
    pass
count = len(children)
for child in children:
    child.kill()
held = 0 < count < 500""")}, (1, 1), None),
        "symlink": ({"double": GOOD["double"], "square": GOOD["square"]}, (1, 1), None),
        # hints: text the student's code put into an exception never reaches feedback
        "leaky_message": ({"double": "raise AssertionError('LEAK-4711 ' + open(__file__ if '__file__' in dir() "
                                     "else '/etc/hostname').read())", "square": GOOD["square"]}, (0, 1), None),
    }


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    if jail_problem():
        if os.environ.get("CI") == "true":
            pytest.fail(jail_problem())
        pytest.skip(jail_problem())
    base = tmp_path_factory.mktemp("hostile")
    repo = make_tiny_repo(base)
    blank = nbformat.read(repo / "course" / TINY / f"{TINY}.ipynb", as_version=4)
    root = base / "course-dir"
    server = socket.create_server(("127.0.0.1", 0))
    unix_path = str(base / "grader.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(unix_path)
    unix.listen()
    abstract = f"dlcourse-test-{os.getpid()}"
    abstract_socket = socket.socket(socket.AF_UNIX)
    abstract_socket.bind("\0" + abstract)
    abstract_socket.listen()
    import dlcourse as package

    paths = {"root": str(root), "solutions": str(repo / "solutions"), "checks": str(repo / "solutions" / TINY /
             "checks.py"), "port": server.getsockname()[1], "unix": unix_path, "abstract": abstract,
             "package": str(Path(package.__file__).parent)}
    cases = threats(paths)
    submissions = {student: (f"{TINY}.ipynb", answer(blank, **sources)) for student, (sources, _, _) in cases.items()}
    broken = answer(blank, **GOOD)
    broken_dict = json.loads(nbformat.writes(broken))
    broken_dict["cells"][2]["metadata"]["nbgrader"] = "not a dict"
    del broken_dict["cells"][1]["source"]
    renamed = json.loads(nbformat.writes(broken))
    for cell in renamed["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade_id") == "double":
            meta["grade_id"] = "double_renamed"
        if meta.get("grade_id") == "square-test":
            meta["solution"] = True  # flipped flag
    renamed["cells"].append(json.loads(json.dumps(renamed["cells"][3])))  # a duplicated grade_id
    extra = dict(renamed["cells"][2])
    extra = json.loads(json.dumps(extra))
    extra["metadata"]["nbgrader"] = {"grade": True, "grade_id": "free-points", "points": 50, "solution": False,
                                     "locked": True, "schema_version": 3, "task": False}
    extra["source"] = "pass"
    renamed["cells"].append(extra)
    submissions["bad_metadata"] = (f"{TINY}.ipynb", json.dumps(broken_dict))
    submissions["renamed_ids"] = (f"{TINY}.ipynb", json.dumps(renamed))
    cases["bad_metadata"] = (GOOD, (1, 1), None)
    cases["renamed_ids"] = (GOOD, (1, 1), None)
    download = base / "download"
    write_tree(download, submissions)
    env = {"DLCOURSE_ROOT": str(repo)}
    dlcourse("collect", "--from", str(download), "--root", str(root), env=env)
    # A link to the instructor's solutions, placed as if it had come with the submission.
    os.symlink(repo / "solutions", root / "submitted" / "symlink" / TINY / "solutions-link")
    before = {p: p.read_bytes() for p in (root / "submitted").rglob("*.ipynb")}
    started = time.perf_counter()
    # A subprocess: hostile code is graded by a process the test does not share, as an instructor's shell runs it.
    graded = dlcourse("autograde", "--root", str(root), "--jobs", "2", "--cell-timeout", "60",
                      "--disk", "256", "--processes", "64", "--no-progress", env=env, timeout=1200, in_process=False)
    seconds = time.perf_counter() - started
    table = base / "grades.csv"
    dlcourse("grades", "--root", str(root), "--csv", str(table), env=env)
    dlcourse("feedback", "--root", str(root), env=env)
    time.sleep(1)
    survivors = _survivors()
    for sock in (server, unix, abstract_socket):
        sock.close()
    return {"cases": cases, "graded": graded, "scores": grades_csv(table), "root": root, "repo": repo,
            "before": before, "survivors": survivors, "seconds": seconds, "env": env,
            "status": json.loads((root / "autograde_status.json").read_text())}


def _survivors() -> list:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if MARKER.encode() in cmdline or b"dlcourse.grading.worker" in cmdline:
                found.append((entry, cmdline[:120]))
    return found


def test_every_case_gets_its_expected_score(hostile_run):
    scores, status = hostile_run["scores"], hostile_run["status"]
    wrong = {}
    for student, (_, expected, reason) in hostile_run["cases"].items():
        got = (scores.get((student, "double-test")), scores.get((student, "square-test")))
        if got != tuple(float(v) for v in expected):
            wrong[student] = (got, expected, status.get(f"{TINY}/{student}", {}).get("reason"))
        if reason:
            assert reason in status[f"{TINY}/{student}"].get("reason", "") + status[f"{TINY}/{student}"].get(
                "problem", ""), (student, status[f"{TINY}/{student}"])
    assert not wrong, f"{wrong}\n{hostile_run['graded'].stdout}"
    assert "free-points" not in {exercise for _, exercise in scores}


def test_no_process_outlives_the_run(hostile_run):
    assert not hostile_run["survivors"], hostile_run["survivors"]


def test_grader_files_not_written(hostile_run):
    import dlcourse as package

    planted = [p for p in (Path(package.__file__).parent, Path(sys.prefix), Path("/etc"), Path("/usr"), Path("/"))
               if (p / f"{MARKER}.py").exists() or (p / f"{MARKER}.pth").exists() or (p / MARKER).exists()]
    assert not planted, planted


def test_submissions_and_gradebook_untouched(hostile_run):
    for path, content in hostile_run["before"].items():
        assert path.read_bytes() == content, f"{path} was changed during grading"
    assert not list((hostile_run["root"]).rglob("*vandalised*"))


def test_only_notebooks_come_back(hostile_run):
    autograded = hostile_run["root"] / "autograded"
    files = [p for p in autograded.rglob("*") if not p.is_dir()]
    assert all(p.suffix == ".ipynb" and not p.is_symlink() for p in files), files
    assert sum(p.stat().st_size for p in files) < 20 << 20


def test_feedback_is_safe(hostile_run):
    pages = [p.read_text() for p in (hostile_run["root"] / "feedback").rglob("*.html")]
    assert len(pages) == len(hostile_run["cases"])
    assert_no_secrets(pages, hostile_run["repo"], TINY)
    assert not any("LEAK-4711" in page for page in pages)


def test_nbgrader_generate_feedback_gives_the_same_safe_page(hostile_run, tmp_path):
    """The formgrader's buttons run nbgrader's GenerateFeedback: with our configuration it writes our page."""
    root, repo = hostile_run["root"], hostile_run["repo"]
    (tmp_path / "nbgrader_config.py").write_text(
        "from pathlib import Path\nfrom dlcourse.grading.adapter import apply\n"
        f"apply(get_config(), Path({str(repo)!r}), root=Path({str(root)!r}))\n")
    ours = (root / "feedback" / "leaky_message" / TINY / f"{TINY}.html").read_text()
    shutil.rmtree(root / "feedback")
    result = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_feedback", TINY, "--force"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stdout + result.stderr
    pages = {p.parent.parent.name: p.read_text() for p in (root / "feedback").rglob("*.html")}
    assert len(pages) == len(hostile_run["cases"]), sorted(pages)
    assert_no_secrets(pages.values(), repo, TINY)

    def strip_stamp(page):
        return "\n".join(line for line in page.splitlines() if "Generated" not in line)

    assert strip_stamp(pages["leaky_message"]) == strip_stamp(ours)
