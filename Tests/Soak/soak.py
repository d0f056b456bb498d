#!/usr/bin/env python3
"""Reliability soak suite for openspec-sync (`make soak`; not part of `make test`).

On a generated repository of 2,000 changes it kills the built binary with
SIGKILL at random moments of three operations, many times over:

- import:   a first import (`init` + `reconcile` on a new database), 20 trials;
- toggle:   a loop of `task CHANGE N --done/--undone` on a few changes, the
            command running at a random point killed, 20 trials;
- rollback: `rollback CHANGE --to REV` after three commits to the change,
            10 trials.

After every kill it checks what docs/reliability.md promises:

- `PRAGMA integrity_check` prints ok; `git fsck --no-dangling` is clean;
- no torn file: every file is whole, its old or its new content, and a
  tasks.md differs from the one before only in checkbox marker bytes;
- no lost acknowledged edit: a toggle that exited 0 (written) or 5 (saved,
  waiting) is in the working file and in HEAD's blob after the next
  `reconcile` (exit 6, a kept conflict, is listed by `conflicts`), and
  every edit is committed once; the killed one is fully there or not at all;
- `git status` shows nothing under openspec/ that the killed command does not
  explain; a killed rollback completes when run again;
- the next `reconcile` converges: its `list --all --json` equals that of a
  clean import of the same repository state into a new database (ids and
  times aside), and a further `reconcile` changes nothing.

A stale `.git/index.lock` (or HEAD.lock, a ref lock) left by a kill inside a
git update is removed before the checks, as a user would (docs/conflicts.md),
and counted in the summary.

Usage (from the project root):

    python3 Tests/Soak/soak.py --binary .build/debug/openspec-sync
    python3 Tests/Soak/soak.py --binary ... --seed 1234 --import-trials 5 --phases toggle

Prints the seed (pass it again with --seed to repeat a run's choices; the
kill moments depend on timing too), one line per trial, a summary per phase,
and last `N passed, N failed`. Exit status 0 when every trial passed, 1 when
any failed (its folder is kept and printed), 2 for bad arguments or when the
set-up itself fails. Python 3 standard library only; needs git and sqlite3.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GENERATOR = os.path.join(ROOT, "Benchmarks", "gen_corpus.py")

PHASES = ("import", "toggle", "rollback")
COMMAND_TIMEOUT = 300   # seconds; a hung command fails its trial
TOGGLE_LOOP = 12        # task commands per toggle trial at most (the kill ends the loop)
TOGGLE_CHANGES = 4      # changes a toggle trial edits
CALIBRATION_RUNS = 3    # undisturbed runs timed per operation before the trials
RECENT = 5              # the kill window follows the median of this many latest undisturbed runs
KILL_WINDOW = 1.1       # kill moments are uniform in [0, KILL_WINDOW x that median]
GIT_LOCKS = ("index.lock", "HEAD.lock", "refs/heads/main.lock", "config.lock", "packed-refs.lock")
TEMP_FILE = re.compile(r"^\..+\.openspec-sync-[^/]+\.tmp$")
TASK_LINE = re.compile(rb"^- \[([ xX])\] (\d+(?:\.\d+)+) ", re.M)
SOAK_IDENTITY = ["-c", "user.name=soak", "-c", "user.email=soak@example.invalid"]


class SetupError(Exception):
    """The run cannot start or its calibration failed (not a trial failure)."""


# --------------------------------------------------------------------------
# Processes


class Result:
    def __init__(self, cmd, rc, out, err, seconds, killed):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err
        self.seconds, self.killed = seconds, killed

    def describe(self):
        what = "killed" if self.killed else f"exit {self.rc}"
        text = f"`{show(self.cmd)}`: {what} after {self.seconds:.3f} s"
        tail = (self.err or self.out).strip()
        if tail and not self.killed:
            text += "\n      " + "\n      ".join(tail.splitlines()[-6:])
        return text


def show(cmd):
    return " ".join(c if c and " " not in c else repr(c) for c in cmd)


def base_env(home):
    """The caller's environment without git or openspec-sync settings, git
    isolated from user and system configuration, HOME and XDG folders inside
    the work folder (so no user database or git config is ever touched)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "OPENSPEC_", "FILE_WATCHER_"))}
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
                "HOME": home, "XDG_DATA_HOME": os.path.join(home, "data"),
                "XDG_CONFIG_HOME": os.path.join(home, "config")})
    return env


ENV = {}  # set in main()


def run(cmd, cwd=None, kill_after=None, log=None):
    """Runs cmd to the end, or SIGKILLs its process group after kill_after
    seconds. Returns a Result; killed is True only if the kill ended it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             start_new_session=True)
        timers = []
        if kill_after is not None:
            timers.append(threading.Timer(max(0.0, kill_after), lambda: kill_group(p)))
        timers.append(threading.Timer(COMMAND_TIMEOUT, lambda: kill_group(p)))
        for t in timers:
            t.start()
        try:
            rc = p.wait()
        finally:
            for t in timers:
                t.cancel()
        seconds = time.perf_counter() - t0
        if rc == -signal.SIGKILL:
            wait_group_gone(p.pid)
        out.seek(0)
        err.seek(0)
        result = Result(cmd, rc, out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"), seconds, rc == -signal.SIGKILL)
    if result.killed and kill_after is None:
        result.err += f"\n(hung: killed after {COMMAND_TIMEOUT} s)"
        result.killed = False
    if log is not None:
        log.append(f"{'killed' if result.killed else 'rc=' + str(rc)} {seconds:.3f}s"
                   + (f" (kill at {kill_after:.3f}s)" if kill_after is not None else "") + f": {show(cmd)}")
    return result


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_group_gone(pgid, limit=10.0):
    """Waits until every process of the killed group has exited, so none of
    them still holds a lock when the checks start."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.005)


def run_sequence(cmds, kill_after, log):
    """Runs cmds one after another; the one running kill_after seconds after
    the first started is killed (and the rest are not started). Returns
    (results, index of the killed command or None)."""
    results = []
    start = time.perf_counter()
    for i, cmd in enumerate(cmds):
        left = kill_after - (time.perf_counter() - start)
        r = run(cmd, kill_after=left, log=log)
        results.append(r)
        if r.killed:
            return results, i
        if r.rc != 0:
            return results, None
    return results, None


def git(repo, *args, check=True):
    r = subprocess.run(["git", "-C", repo, "-c", "core.hooksPath=" + os.devnull, *args], env=ENV,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=COMMAND_TIMEOUT)
    if check and r.returncode != 0:
        raise TrialError(f"git {' '.join(args)} failed ({r.returncode}): {r.stderr.decode(errors='replace').strip()}")
    return r


def git_text(repo, *args):
    return git(repo, *args).stdout.decode("utf-8", "replace").strip()


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# --------------------------------------------------------------------------
# The tool


class Tool:
    def __init__(self, binary, db, log):
        self.binary, self.db, self.log = binary, db, log

    def cmd(self, *argv):
        return [self.binary, *argv, "--db", self.db]

    def run(self, *argv, kill_after=None):
        return run(self.cmd(*argv), kill_after=kill_after, log=self.log)

    def json(self, *argv, ok=(0,)):
        r = self.run(*argv, "--json")
        if r.rc not in ok:
            raise TrialError(r.describe())
        try:
            return json.loads(r.out)
        except ValueError:
            raise TrialError(f"`{show(r.cmd)}` printed no JSON: {r.out[:300]!r}") from None

    def changes(self):
        """`list --all --json` without what differs between two databases of
        the same files: row ids and sync times."""
        entries = self.json("list", "--all")["changes"]
        for e in entries:
            e.pop("id", None)
            e.pop("lastSyncedAt", None)
        return sorted(entries, key=lambda e: (e.get("project") or "", e.get("path") or ""))


def integrity(db):
    """'ok', or what sqlite3 said. A database file a kill never created is 'absent'."""
    if not os.path.exists(db):
        return "absent"
    r = subprocess.run(["sqlite3", db, "PRAGMA integrity_check"], env=ENV, capture_output=True, text=True,
                       timeout=COMMAND_TIMEOUT)
    return (r.stdout.strip() or r.stderr.strip()) if r.returncode == 0 else f"sqlite3 exit {r.returncode}: {r.stderr.strip()}"


def diff_lists(got, want, limit=3):
    """A short description of how two normalised change lists differ."""
    if got == want:
        return None
    g = {e.get("path"): e for e in got}
    w = {e.get("path"): e for e in want}
    notes = [f"{len(got)} changes, expected {len(want)}"] if len(got) != len(want) else []
    for path in sorted(set(g) | set(w)):
        if g.get(path) != w.get(path):
            if path not in g:
                notes.append(f"{path} missing")
            elif path not in w:
                notes.append(f"{path} not expected")
            else:
                keys = sorted(k for k in set(g[path]) | set(w[path]) if g[path].get(k) != w[path].get(k))
                notes.append(f"{path}: " + ", ".join(f"{k} {g[path].get(k)!r} (clean import: {w[path].get(k)!r})"
                                                     for k in keys))
        if len(notes) >= limit:
            break
    return "; ".join(notes)


# --------------------------------------------------------------------------
# Trials


class TrialError(Exception):
    """A trial cannot go on (a command that must succeed did not)."""


class Trial:
    """One trial's folder (repository, database, a fresh database for the
    convergence check), its command log and the failures it found."""

    def __init__(self, soak, phase, number):
        self.soak, self.phase, self.number = soak, phase, number
        self.dir = os.path.join(soak.work, f"{phase}-{number:02d}")
        self.repo = os.path.join(self.dir, "repo")  # same folder name everywhere: same project name
        self.log = []
        self.tool = Tool(soak.binary, os.path.join(self.dir, "db", "openspec-sync.sqlite"), self.log)
        self.rng = random.Random(f"{soak.seed}:{phase}:{number}")
        self.failures = []
        self.notes = []
        self.killed = False
        self.state = None  # what the kill left, for the summary
        self.locks_removed = []
        os.makedirs(self.dir)
        copy = run(["cp", "-a", soak.corpus, self.repo], log=self.log)
        if copy.rc != 0:
            raise SetupError(f"cannot copy the repository: {copy.describe()}")

    def fail(self, text):
        self.failures.append(text)

    def expect(self, condition, text):
        if not condition:
            self.fail(text)
        return condition

    def expect_rc(self, result, ok=(0,)):
        if result.killed or result.rc not in ok:
            raise TrialError(result.describe())
        return result

    def import_all(self, tool=None, timed=True):
        """init + reconcile; timed: a first import into a new database, whose
        duration moves the import phase's kill window."""
        tool = tool or self.tool
        first = self.expect_rc(tool.run("init", "--repo", self.repo))
        second = self.expect_rc(tool.run("reconcile", "--repo", self.repo))
        if timed:
            self.soak.observe("import", first.seconds + second.seconds)

    # -- checks shared by every phase --------------------------------------

    def remove_stale_locks(self):
        """A kill inside a git update leaves git's own lock file, as a killed
        `git commit` does; the tool never removes one, the user does."""
        for name in GIT_LOCKS:
            path = os.path.join(self.repo, ".git", name)
            if os.path.exists(path):
                os.remove(path)
                self.locks_removed.append(name)

    def check_integrity(self, when):
        state = integrity(self.tool.db)
        self.expect(state in ("ok", "absent"), f"integrity_check {when}: {state}")

    def check_fsck(self, when):
        r = git(self.repo, "fsck", "--no-dangling", check=False)
        text = (r.stdout + r.stderr).decode("utf-8", "replace").strip()
        self.expect(r.returncode == 0 and not re.search(r"^(error|missing|broken|bad|fatal)", text, re.M),
                    f"git fsck {when}: exit {r.returncode}: {text[:500]}")

    def porcelain(self):
        """`git status --porcelain` entries under openspec/, untracked files one by one."""
        text = git(self.repo, "status", "--porcelain", "--untracked-files=all", "--", "openspec").stdout.decode()
        return [line for line in text.splitlines() if line.strip()]

    def check_converged(self, when, reference=None):
        """The database equals a clean import of the same files (reference, when
        the files are the corpus's, else a new one), and one more reconcile
        finds nothing to do."""
        again = self.tool.json("reconcile", "--repo", self.repo)
        moved = {k: again.get(k) for k in ("created", "updated", "archived", "unarchived", "removed", "restored",
                                          "failed")
                 if again.get(k)}
        self.expect(not moved, f"a reconcile after convergence {when} still changed {moved}")
        status = self.tool.json("status")["projects"]
        pending = sum(p.get("pendingWrites", 0) for p in status)
        self.expect(pending == 0, f"{pending} edit(s) still waiting to be written {when}")
        if reference is None:
            fresh = Tool(self.soak.binary, os.path.join(self.dir, "fresh-db", "openspec-sync.sqlite"), self.log)
            shutil.rmtree(os.path.dirname(fresh.db), ignore_errors=True)
            self.import_all(fresh)
            reference = fresh.changes()
        difference = diff_lists(self.tool.changes(), reference)
        self.expect(difference is None, f"list --all --json {when} differs from a clean import: {difference}")

    def keep_or_remove(self):
        if self.failures or self.soak.keep:
            with open(os.path.join(self.dir, "log.txt"), "w") as f:
                f.write("".join(f"FAILED: {x}\n" for x in self.failures)
                        + "commands:\n" + "\n".join(self.log) + "\n")
        if not self.failures and not self.soak.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


# -- import ------------------------------------------------------------------


def trial_import(t):
    """A first import killed at a random moment, then done again."""
    window = t.soak.window("import")
    delay = t.rng.uniform(0, window)
    cmds = [t.tool.cmd("init", "--repo", t.repo), t.tool.cmd("reconcile", "--repo", t.repo)]
    results, killed_at = run_sequence(cmds, delay, t.log)
    t.killed = killed_at is not None
    where = ("init", "reconcile")[killed_at] if t.killed else "nothing (it finished)"
    t.notes.append(f"killed {where} at {delay:.3f} s (window {window:.2f} s)")
    if not t.killed:
        for r in results:
            t.expect_rc(r)
        t.soak.observe("import", sum(r.seconds for r in results))
    t.check_integrity("after the kill")
    t.state = "killed in init" if killed_at == 0 else None
    imported = None
    if os.path.exists(t.tool.db):
        # The database is the old state or the new one, never half a batch.
        r = t.tool.run("list", "--all", "--json")
        if t.expect(r.rc == 0, f"list after the kill: {r.describe()}"):
            n = imported = len(json.loads(r.out)["changes"])
            t.expect(n in (0, len(t.soak.reference)),
                     f"half an import after the kill: {n} of {len(t.soak.reference)} changes")
            if killed_at == 1:
                t.state = "nothing imported" if n == 0 else "all imported" if n == len(t.soak.reference) else "part imported"
    t.remove_stale_locks()
    # With nothing imported yet, the next import is a whole undisturbed one: it times the window.
    t.import_all(timed=t.killed and not imported)
    t.check_integrity("after the next reconcile")
    t.check_fsck("after the import")
    changed = t.porcelain()
    t.expect(not changed, f"an import changed the working tree: {changed[:5]}")
    t.check_converged("after the next reconcile", reference=t.soak.reference)


# -- toggle ------------------------------------------------------------------


def task_lines(content):
    """(number, offset of the marker byte, done) for each checkbox of a tasks.md."""
    return [(m.group(2).decode(), m.start(1), m.group(1) != b" ") for m in TASK_LINE.finditer(content)]


def set_marker(content, offset, done):
    return content[:offset] + (b"x" if done else b" ") + content[offset + 1:]


def only_markers_differ(a, b):
    """True when b is a with some checkbox marker bytes changed (never a torn file)."""
    if a is None or b is None or len(a) != len(b) or a.count(b"\n") != b.count(b"\n"):
        return False
    markers = {offset for _, offset, _ in task_lines(a)}
    return all(i in markers for i in range(len(a)) if a[i] != b[i])


class Toggle:
    """One `task` command and the tasks.md it should give."""

    def __init__(self, change, path, number, done, before, after):
        self.change, self.path, self.number, self.done = change, path, number, done
        self.before, self.after = before, after
        self.rc = None

    @property
    def changes_file(self):
        return self.before != self.after

    def argv(self):
        return ("task", self.change, self.number, "--done" if self.done else "--undone", "--json")


def next_toggle(t, model, changes):
    change = t.rng.choice(changes)
    path = f"openspec/changes/{change}/tasks.md"
    content = model[path]
    number, offset, done = t.rng.choice(task_lines(content))
    # Mostly a real flip; sometimes a toggle to the state it already has (a no-op edit).
    want = (not done) if t.rng.random() < 0.8 else done
    return Toggle(change, path, number, want, content, set_marker(content, offset, want))


def toggle_state(t, killed):
    """Where the kill stopped the toggle, as far as the files, git and `status` show."""
    if not killed.changes_file:
        return "a no-op toggle"
    waiting = sum(p.get("pendingWrites", 0) for p in t.tool.json("status")["projects"])
    if git(t.repo, "show", f"HEAD:{killed.path}", check=False).stdout == killed.after:
        return "committed, database not updated" if waiting else "committed"
    if read(os.path.join(t.repo, killed.path)) == killed.after:
        return "on disk, not committed"
    return "saved, file old" if waiting else "nothing saved"


def trial_toggle(t):
    """A loop of task toggles, the command running at a random point killed;
    every acknowledged toggle must survive, the killed one whole or absent."""
    t.import_all()
    base = git_text(t.repo, "rev-parse", "HEAD")
    active = [e["changeId"] for e in t.soak.reference if e.get("status") == "active"]
    changes = t.rng.sample(active, min(TOGGLE_CHANGES, len(active)))
    model = {f"openspec/changes/{c}/tasks.md": read(os.path.join(t.repo, "openspec", "changes", c, "tasks.md"))
             for c in changes}
    original = dict(model)
    kill_index = t.rng.randrange(TOGGLE_LOOP)
    window = t.soak.window("toggle")
    delay = t.rng.uniform(0, window)
    acknowledged, conflicts, killed = [], [], None
    for i in range(kill_index + 1):
        toggle = next_toggle(t, model, changes)
        r = t.tool.run(*toggle.argv(), kill_after=delay if i == kill_index else None)
        if r.killed:
            killed = toggle
            break
        toggle.rc = r.rc
        if r.rc == 0:
            t.soak.observe("toggle", r.seconds)
        if r.rc in (0, 5):
            acknowledged.append(toggle)
            model[toggle.path] = toggle.after
            if r.rc == 0:
                on_disk = read(os.path.join(t.repo, toggle.path))
                t.expect(on_disk == toggle.after, f"`task {toggle.change} {toggle.number}` exited 0 but "
                         f"{toggle.path} does not hold the toggle")
        elif r.rc == 6:
            conflicts.append(toggle)
        else:
            raise TrialError(r.describe())
    t.killed = killed is not None
    t.notes.append(f"{len(acknowledged)} acknowledged, "
                   + (f"killed `task {killed.change} {killed.number}` at {delay:.3f} s" if killed
                      else f"the last one finished before the kill at {delay:.3f} s")
                   + f" (window {window:.3f} s)")

    # Right after the kill: every file whole; the killed one old or new.
    for path, content in model.items():
        now = read(os.path.join(t.repo, path))
        allowed = [content] + ([killed.after] if killed and killed.path == path else [])
        pending = any(a.path == path and a.rc == 5 for a in acknowledged)
        if now not in allowed and not pending:
            torn = not only_markers_differ(original[path], now)
            t.fail(f"{path} after the kill is {'torn (more than marker bytes differ)' if torn else 'not as acknowledged'}")
    t.check_integrity("right after the kill")
    if killed:
        t.state = toggle_state(t, killed)
    t.remove_stale_locks()

    r = t.tool.run("reconcile", "--repo", t.repo)
    t.expect(r.rc == 0 and not r.killed, f"the reconcile after the kill: {r.describe()}")

    # Every acknowledged toggle is in the file and in HEAD; the killed one all or nothing.
    killed_applied = False
    for path, content in model.items():
        now = read(os.path.join(t.repo, path))
        head = git(t.repo, "show", f"HEAD:{path}", check=False).stdout
        if killed and killed.path == path and now == killed.after and killed.changes_file:
            killed_applied = True
        elif now != content:
            what = "torn (more than marker bytes differ)" if not only_markers_differ(original[path], now) else \
                "missing an acknowledged toggle (" + ", ".join(
                    f"task {a.number} {'--done' if a.done else '--undone'} exit {a.rc}"
                    for a in acknowledged if a.path == path) + ")"
            t.fail(f"{path} is {what} after the reconcile")
            continue
        t.expect(head == now, f"{path}: HEAD's blob is not the working file after the reconcile")
    for c in conflicts:
        listed = t.tool.json("conflicts")["conflicts"]
        t.expect(any(x.get("changeId") == c.change and x.get("path") == "tasks.md" for x in listed),
                 f"`task {c.change} {c.number}` exited 6 but no conflict is listed")

    # Each edit committed once, by the tool, one file per commit.
    wanted, seen = [], dict(original)
    for a in acknowledged:
        if seen[a.path] != a.after:
            wanted.append(a.path)
        seen[a.path] = a.after
    if killed_applied:
        wanted.append(killed.path)
    log = git_text(t.repo, "log", "--reverse", "--format=@%an", "--name-only", f"{base}..HEAD")
    commits = [c.split("\n") for c in log.split("@")[1:]]
    made = [[line for line in c[1:] if line] for c in commits]
    t.expect(all(c[0] == "openspec-sync" for c in commits), "a commit not made by openspec-sync appeared")
    t.expect(made == [[p] for p in wanted],
             f"commits {[m for m in made]} for the edits {wanted} (each edit once, one file each)")

    # Each tasks.md parses: the database counts the checkboxes the file has.
    listed = {e.get("changeId"): e for e in t.tool.changes()}
    for change in changes:
        boxes = task_lines(read(os.path.join(t.repo, "openspec", "changes", change, "tasks.md")))
        counts = (sum(done for _, _, done in boxes), len(boxes))
        got = (listed.get(change, {}).get("completedTasks"), listed.get(change, {}).get("totalTasks"))
        t.expect(got == counts, f"{change}: the database counts {got[0]}/{got[1]} tasks done, tasks.md has "
                 f"{counts[0]}/{counts[1]}")

    t.check_fsck("after the reconcile")
    changed = t.porcelain()
    t.expect(not changed, f"git status under openspec/ after the reconcile: {changed[:5]}")
    t.check_integrity("after the reconcile")
    t.check_converged("after the reconcile")


# -- rollback ----------------------------------------------------------------


def change_files(repo, rev, folder):
    """{path relative to folder: (mode, blob id)} at rev."""
    out = git_text(repo, "ls-tree", "-r", rev, "--", folder + "/")
    files = {}
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        mode, _, blob = meta.split()
        files[path[len(folder) + 1:]] = (mode, blob)
    return files


def file_contents(repo, rev, folder):
    return {p: git(repo, "cat-file", "blob", blob).stdout for p, (_, blob) in change_files(repo, rev, folder).items()}


def folder_files(path):
    """{relative path: bytes} of the regular files under path; hidden temporary files apart."""
    files, temps = {}, []
    for d, _, names in os.walk(path):
        for n in names:
            full = os.path.join(d, n)
            rel = os.path.relpath(full, path)
            if TEMP_FILE.match(n):
                temps.append(rel)
            else:
                files[rel] = read(full)
    return files, temps


def make_history(t, change):
    """Three commits to change: a proposal paragraph; ticked tasks and a new
    spec file; design.md deleted and a task added. Returns their ids, oldest first."""
    folder = os.path.join(t.repo, "openspec", "changes", change)
    steps = []

    def commit(msg):
        git(t.repo, "add", "-A", "--", "openspec")
        git(t.repo, *SOAK_IDENTITY, "commit", "-q", "--no-verify", "-m", msg)
        steps.append(git_text(t.repo, "rev-parse", "HEAD"))

    proposal = os.path.join(folder, "proposal.md")
    write(proposal, read(proposal) + b"\nA paragraph the soak added before rolling back.\n")
    commit(f"soak: {change} proposal")
    tasks = os.path.join(folder, "tasks.md")
    content = read(tasks)
    for _, offset, done in t.rng.sample(task_lines(content), 3):
        content = set_marker(content, offset, not done)
    write(tasks, content)
    write(os.path.join(folder, "specs", "soak", "spec.md"),
          b"## ADDED Requirements\n### Requirement: Soak\nThe system SHALL survive.\n\n"
          b"#### Scenario: Killed\n- **WHEN** killed\n- **THEN** nothing is lost\n")
    commit(f"soak: {change} tasks and a spec")
    os.remove(os.path.join(folder, "design.md"))
    write(tasks, read(tasks) + b"- [ ] 1.99 A task the soak added\n")
    commit(f"soak: {change} without design")
    return steps


def trial_rollback(t):
    """`rollback` after three commits, killed at a random moment; every file is
    its version before or its version at the target, and running the rollback
    again completes it."""
    t.import_all()
    active = [e["changeId"] for e in t.soak.reference if e.get("status") == "active"]
    change = t.rng.choice(active)
    base = git_text(t.repo, "rev-parse", "HEAD")
    history = make_history(t, change)
    target = t.rng.choice([base] + history[:-1])
    t.expect_rc(t.tool.run("reconcile", "--repo", t.repo))
    folder = f"openspec/changes/{change}"
    head = git_text(t.repo, "rev-parse", "HEAD")
    before = file_contents(t.repo, head, folder)
    wanted = file_contents(t.repo, target, folder)
    wanted_tree = change_files(t.repo, target, folder)

    window = t.soak.window("rollback")
    delay = t.rng.uniform(0, window)
    r = t.tool.run("rollback", change, "--to", target, "--json", kill_after=delay)
    t.killed = r.killed
    back = history.index(target) if target in history else -1
    t.notes.append(f"{change} to HEAD~{len(history) - 1 - back}: "
                   + (f"killed at {delay:.3f} s" if r.killed else f"finished (exit {r.rc}) before the kill at {delay:.3f} s")
                   + f" (window {window:.3f} s)")
    if not r.killed:
        t.expect_rc(r)
        t.soak.observe("rollback", r.seconds)

    # Right after the kill: every file is its version before or at the target, nothing else.
    files, temps = folder_files(os.path.join(t.repo, folder))
    for path in sorted(set(files) | set(before) | set(wanted)):
        now = files.get(path)
        t.expect(now in (before.get(path), wanted.get(path)),
                 f"{folder}/{path} after the kill is neither its version before the rollback nor the target's"
                 + (" (torn)" if now is not None else " (missing)"))
    new_head = git_text(t.repo, "rev-parse", "HEAD")
    committed = new_head != head
    if committed:
        t.expect(git_text(t.repo, "rev-parse", "HEAD~1") == head, "the rollback made more than one commit")
        t.expect(change_files(t.repo, "HEAD", folder) == wanted_tree, "the rollback commit is not the target's files")
        t.expect(files == wanted, "the rollback was committed but the working files are not the target's")
    if r.killed:
        t.state = ("committed" if committed else "nothing written" if files == before
                   else "all files written, not committed" if files == wanted else "part written, not committed")
        if temps:
            t.state += ", temporary files left"
    t.check_integrity("right after the kill")
    t.remove_stale_locks()

    # The next reconcile: what is on disk is explained by the killed rollback, and the database converges.
    r = t.tool.run("reconcile", "--repo", t.repo)
    t.expect(r.rc == 0 and not r.killed, f"the reconcile after the kill: {r.describe()}")
    t.check_fsck("after the kill")
    for line in t.porcelain():
        path = line[3:]
        rel = path[len(folder) + 1:] if path.startswith(folder + "/") else None
        explained = rel is not None and (
            (rel in wanted and read(os.path.join(t.repo, path)) == wanted[rel])
            or (rel not in wanted and not os.path.exists(os.path.join(t.repo, path)))
            or TEMP_FILE.match(os.path.basename(rel)))
        t.expect(explained, f"git status after the killed rollback: {line!r} is not explained by it")
    t.check_integrity("after the reconcile")
    t.check_converged("after the killed rollback")

    # Running the rollback again finishes it: the target's files, committed, nothing left over.
    again = t.tool.run("rollback", change, "--to", target, "--json")
    if t.expect(again.rc == 0 and not again.killed, f"running the rollback again: {again.describe()}"):
        files, temps = folder_files(os.path.join(t.repo, folder))
        t.expect(files == wanted, "after the rollback ran again the files are not the target's")
        t.expect(not temps, f"temporary files left after the rollback ran again: {temps}")
        t.expect(change_files(t.repo, "HEAD", folder) == wanted_tree, "HEAD after the rollback ran again is not the target's files")
        changed = t.porcelain()
        t.expect(not changed, f"git status under openspec/ after the rollback ran again: {changed[:5]}")
        t.check_integrity("after the rollback ran again")
        t.check_fsck("after the rollback ran again")
        t.check_converged("after the rollback ran again")


TRIALS = {"import": trial_import, "toggle": trial_toggle, "rollback": trial_rollback}


# --------------------------------------------------------------------------
# The run


class Soak:
    def __init__(self, args, work):
        self.binary, self.work, self.seed, self.keep = args.binary, work, args.seed, args.keep
        self.corpus = os.path.join(work, "corpus")
        self.reference = None
        self.samples = {name: [] for name in PHASES}

    def prepare(self, changes):
        t0 = time.perf_counter()
        r = run([sys.executable, GENERATOR, "--out", self.corpus, "--changes", str(changes), "--pack", "--quiet"])
        if r.rc != 0:
            raise SetupError(f"corpus generation failed: {r.describe()}")
        say(f"corpus: {changes:,} changes in {time.perf_counter() - t0:.1f} s")
        self.calibrate()

    def calibrate(self):
        """A clean import (the reference list) and the undisturbed duration of
        each operation, from which the kill moments are drawn."""
        t = Trial(self, "calibration", 0)
        try:
            for i in range(CALIBRATION_RUNS):
                tool = Tool(self.binary, os.path.join(t.dir, f"db{i}", "openspec-sync.sqlite"), t.log)
                r1 = tool.run("init", "--repo", t.repo)
                r2 = tool.run("reconcile", "--repo", t.repo)
                for r in (r1, r2):
                    if r.rc != 0:
                        raise SetupError(f"the undisturbed import failed: {r.describe()}")
                self.observe("import", r1.seconds + r2.seconds)
                if i == 0:
                    self.reference = tool.changes()
                    t.tool = tool
            if not self.reference:
                raise SetupError("the clean import listed no changes")
            active = [e["changeId"] for e in self.reference if e.get("status") == "active"]
            for i in range(CALIBRATION_RUNS):
                change = active[i]
                tasks = task_lines(read(os.path.join(t.repo, "openspec", "changes", change, "tasks.md")))
                number = next(n for n, _, done in tasks if not done)
                for flag in ("--done", "--undone"):
                    r = t.tool.run("task", change, number, flag, "--json")
                    if r.rc != 0:
                        raise SetupError(f"an undisturbed toggle failed: {r.describe()}")
                    self.observe("toggle", r.seconds)
            for i in range(CALIBRATION_RUNS):
                change = active[-1 - i]
                history = make_history(t, change)
                if t.tool.run("reconcile", "--repo", t.repo).rc != 0:
                    raise SetupError("reconcile after the calibration commits failed")
                r = t.tool.run("rollback", change, "--to", history[0] + "~1", "--json")
                if r.rc != 0 or json.loads(r.out).get("outcome") != "written":
                    raise SetupError(f"an undisturbed rollback failed: {r.describe()}")
                self.observe("rollback", r.seconds)
        except TrialError as e:
            raise SetupError(f"calibration: {e}") from None
        finally:
            shutil.rmtree(t.dir, ignore_errors=True)
        say("undisturbed: " + ", ".join(f"{k} {self.median(k) * 1000:.0f} ms" for k in PHASES)
            + f"; clean import lists {len(self.reference):,} changes")

    def observe(self, operation, seconds):
        """An undisturbed run's duration. The machine's speed drifts (other
        work shares it), so kill moments follow the latest runs."""
        self.samples[operation].append(seconds)

    def median(self, operation):
        return statistics.median(self.samples[operation][-RECENT:])

    def window(self, operation):
        return self.median(operation) * KILL_WINDOW

    def phase(self, name, trials):
        t0 = time.perf_counter()
        stats = {"trials": 0, "failed": 0, "killed": 0, "locks": 0, "kept": [], "states": {}}
        for n in range(1, trials + 1):
            started = time.perf_counter()
            t = Trial(self, name, n)
            try:
                TRIALS[name](t)
            except TrialError as e:
                t.fail(str(e))
            except (OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
                t.fail(f"{type(e).__name__}: {e}")
            stats["trials"] += 1
            stats["killed"] += t.killed
            stats["locks"] += bool(t.locks_removed)
            if t.state:
                t.notes.append(t.state)
                stats["states"][t.state] = stats["states"].get(t.state, 0) + 1
            if t.locks_removed:
                t.notes.append("removed stale " + ", ".join(t.locks_removed))
            verdict = "ok" if not t.failures else "FAILED"
            say(f"{name} {n:2d}/{trials}: {verdict} ({time.perf_counter() - started:.1f} s) " + "; ".join(t.notes))
            if t.failures:
                stats["failed"] += 1
                stats["kept"].append(t.dir)
                for f in t.failures:
                    say("    - " + f.replace("\n", "\n      "))
                say(f"    kept: {t.dir}")
            t.keep_or_remove()
        stats["seconds"] = time.perf_counter() - t0
        return stats


def say(text):
    print(text, flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "openspec-sync"),
                    help="the openspec-sync executable (default: .build/debug/openspec-sync)")
    ap.add_argument("--changes", type=int, default=2000, help="changes in the generated repository (default 2000)")
    ap.add_argument("--import-trials", type=int, default=20, help="killed first imports (default 20)")
    ap.add_argument("--toggle-trials", type=int, default=20, help="killed task-toggle loops (default 20)")
    ap.add_argument("--rollback-trials", type=int, default=10, help="killed rollbacks (default 10)")
    ap.add_argument("--phases", default=",".join(PHASES), help="which phases to run (default: all: %(default)s)")
    ap.add_argument("--seed", type=int, default=None, help="seed of every random choice (default: a new one, printed)")
    ap.add_argument("--work", default=None, help="folder to make the temporary folder in (default: $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep every trial's folder, not only failed ones")
    a = ap.parse_args(argv)
    a.phases = [p.strip() for p in a.phases.split(",") if p.strip()]
    unknown = [p for p in a.phases if p not in PHASES]
    if unknown:
        ap.error(f"--phases: unknown {', '.join(unknown)}; choose from {', '.join(PHASES)}")
    if a.changes < 10:
        ap.error("--changes must be at least 10")
    if min(a.import_trials, a.toggle_trials, a.rollback_trials) < 0:
        ap.error("trial counts cannot be negative")
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1, 2**31)
    a.binary = os.path.abspath(a.binary)
    if not os.access(a.binary, os.X_OK):
        ap.error(f"no executable at {a.binary} (build it first: make build)")
    for tool in ("git", "sqlite3", "cp"):
        if shutil.which(tool) is None:
            ap.error(f"`{tool}` is not on PATH")
    return a


def main(argv=None):
    args = parse_args(argv)
    work = tempfile.mkdtemp(prefix="openspec-soak-", dir=args.work)
    ENV.update(base_env(os.path.join(work, "home")))
    counts = {"import": args.import_trials, "toggle": args.toggle_trials, "rollback": args.rollback_trials}
    say(f"soak: seed {args.seed} (repeat with --seed {args.seed}); binary {args.binary}; work folder {work}")
    started = time.perf_counter()
    soak = Soak(args, work)
    results = {}
    try:
        soak.prepare(args.changes)
        for name in args.phases:
            results[name] = soak.phase(name, counts[name])
    except SetupError as e:
        say(f"soak: cannot run: {e}")
        shutil.rmtree(work, ignore_errors=True)
        return 2
    except KeyboardInterrupt:
        say(f"soak: interrupted; work folder kept: {work}")
        return 130
    kept = [d for s in results.values() for d in s["kept"]]
    shutil.rmtree(soak.corpus, ignore_errors=True)
    if not kept and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    say("")
    say(f"{'phase':<9} {'trials':>6} {'failed':>6} {'killed':>6} {'stale locks':>11} {'time':>8}")
    for name, s in results.items():
        say(f"{name:<9} {s['trials']:>6} {s['failed']:>6} {s['killed']:>6} {s['locks']:>11} {s['seconds']:>7.0f}s")
    for name, s in results.items():
        if s["states"]:
            say(f"{name} kills left: " + ", ".join(f"{k} {v}" for k, v in sorted(s["states"].items())))
    say(f"seed {args.seed}; {time.perf_counter() - started:.0f} s in all"
        + (f"; failed trials kept in {work}" if kept else ""))
    passed = sum(s["trials"] - s["failed"] for s in results.values())
    failed = sum(s["failed"] for s in results.values())
    say(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
