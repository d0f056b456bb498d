#!/usr/bin/env python3
"""Benchmark harness for openspec-sync (`make bench`).

Every figure is a ratio to a floor measured in the same run, on the same
machine and the same corpus: a plain tool doing the least work that answers
the same question. See Benchmarks/README.md for what each figure means.

Usage (from the project root):

    python3 Benchmarks/bench.py --binary .build/release/openspec-sync
    python3 Benchmarks/bench.py --binary .build/release/openspec-sync \\
        --sizes 2000 --runs 3 --only noop,commit

Writes <out>/results.md (the table, also printed on stdout) and
<out>/results.json (every sample). Progress goes to stderr. Exit status is 0
when everything ran, even if a target was missed (the table says MISSED);
1 when something failed to run; 2 for bad arguments.

Adding a benchmark: write one function decorated with @benchmark(...) that
takes a Context and returns Rows (see the three below); `--only` picks it up
by name and the table gets its rows.

Standard library only; needs `git` and `sqlite3` (with fsdir(), as the
sqlite3 shell has) on PATH, and for the `postgres` family PostgreSQL's
programs (`make deps` installs them).
"""
import argparse
import csv
import dataclasses
import datetime
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GENERATOR = os.path.join(HERE, "gen_corpus.py")
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import gen_corpus  # noqa: E402  (same folder; reused for the benchmark edits)
import wrk_load  # noqa: E402  (same folder; wrk and nginx for the API figures)
import pg_server  # noqa: E402  (same folder; the private PostgreSQL server)

KiB_PER_MiB = 1024
DEFAULT_SIZES = "2000,20000"
COMMAND_TIMEOUT = 1800  # seconds; a hung command fails the figure instead of the whole night

# Corpus shape for every size: the generator's defaults (3 files per change,
# 50 edit commits of 5 changes), packed like a repository after gc or clone.
CORPUS_ARGS = {"commits": 50, "changes_per_commit": 5, "seed": 42, "pack": True}
CORPUS_FORMAT = 1  # bump to invalidate every cached corpus

# The floor for a full import: sqlite3 storing every regular file under
# openspec/ (path, mode, mtime, content) in one transaction, default settings.
FLOOR_IMPORT_SQL = """\
CREATE TABLE files(path TEXT PRIMARY KEY, mode INT, mtime INT, data BLOB);
BEGIN;
INSERT INTO files(path, mode, mtime, data)
  SELECT name, mode, mtime, data FROM fsdir('openspec') WHERE (mode & 0xF000) = 0x8000;
COMMIT;
"""
FLOOR_IMPORT_NAME = "sqlite3 fsdir insert"
FLOOR_STATUS_CMD = ["git", "status", "--porcelain", "--", "openspec"]
FLOOR_STATUS_NAME = "git status --porcelain"


class BenchError(Exception):
    """Something failed to run (not a missed target)."""


# --------------------------------------------------------------------------
# Running commands


def clean_env(extra=None):
    """The caller's environment without GIT_* overrides (a hook or an IDE can
    set GIT_DIR/GIT_INDEX_FILE), with git isolated from user/system config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(gen_corpus.GIT_ENV)
    env["LC_ALL"] = "C"
    if extra:
        env.update(extra)
    return env


def show_cmd(cmd):
    return " ".join(c if c and " " not in c and "\n" not in c else repr(c) for c in cmd)


def gnu_time():
    """Path of GNU time, or None."""
    path = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    if path and "GNU" in (capture([path, "--version"], stderr_too=True) or ""):
        return path
    return None


GNU_TIME = None  # set in main()


def run(cmd, *, cwd=None, env=None, timeout=COMMAND_TIMEOUT, rss=False):
    """Run cmd with stdout/stderr off the terminal; return (seconds, peak RSS KiB).

    Wall time is perf_counter around start + wait. Peak RSS (rss=True) is the
    command's ru_maxrss (KiB, includes its waited-for children) as reported by
    GNU time, which spawns it from a 1 MiB process: a child spawned straight
    from Python is charged Python's own ~15 MiB at exec (Linux counts the
    pre-exec memory in ru_maxrss). Without GNU time the wait4 figure is used
    (an upper bound). rss=False: the second value is None.
    Raises BenchError with the command's stderr when it fails."""
    rss_file = None
    if rss and GNU_TIME:
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        cmd = [GNU_TIME, "-f", "%M", "-o", rss_file, "--", *cmd]
    try:
        elapsed, usage = _run(cmd, cwd, env, timeout)
        if not rss:
            return elapsed, None
        if rss_file:
            with open(rss_file) as f:
                return elapsed, int(f.read().split()[-1])
        return elapsed, usage.ru_maxrss
    finally:
        if rss_file:
            os.remove(rss_file)


def _run(cmd, cwd, env, timeout):
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(cmd, cwd=cwd, env=env if env is not None else clean_env(),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        except OSError as e:
            raise BenchError(f"cannot start `{show_cmd(cmd)}`: {e}") from None
        killed = []
        timer = threading.Timer(timeout, lambda: (killed.append(True), p.kill()))
        timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            text = err.read().decode("utf-8", "replace").strip()
            if len(text) > 4000:
                text = "...\n" + text[-4000:]
            why = f"killed after {timeout} s" if killed else f"exit status {p.returncode}"
            shown = cmd[cmd.index("--") + 1:] if GNU_TIME and cmd[0] == GNU_TIME else cmd
            raise BenchError(f"`{show_cmd(shown)}` failed ({why})"
                             + (f" in {cwd}" if cwd else "")
                             + (":\n" + indent(text) if text else " with no output on stderr"))
    return elapsed, usage


def capture(cmd, cwd=None, stderr_too=False):
    """stdout of a helper command, or None if it cannot run (machine facts only)."""
    try:
        r = subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    return (r.stdout + (r.stderr if stderr_too else "")).strip()


def indent(text, prefix="    "):
    return "\n".join(prefix + line for line in text.splitlines())


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def remove_db(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


# --------------------------------------------------------------------------
# Results


@dataclasses.dataclass
class Target:
    limit: float
    on: str = "ratio"     # "ratio": value/floor; "value": the value itself
    op: str = "<="        # "<=" or ">="

    def met(self, x):
        return x <= self.limit if self.op == "<=" else x >= self.limit


UNITS = {
    "s": lambda v: f"{v:.2f} s" if v >= 0.1 else f"{v * 1000:.1f} ms",
    "KiB": lambda v: f"{v / KiB_PER_MiB:.1f} MiB",
    "%": lambda v: f"{v:.2f} %" if abs(v) < 10 else f"{v:.1f} %",
    "req/s": lambda v: f"{v:,.0f} req/s",
    "count": lambda v: f"{v:,.0f}",
}


@dataclasses.dataclass
class Row:
    size: int
    family: str
    key: str                       # stable id, e.g. "import.total"
    figure: str                    # text in the table
    unit: str                      # a key of UNITS
    samples: list
    floor_name: str = None
    floor_samples: list = None
    target: Target = None
    error: str = None              # set when the figure failed to run

    @property
    def value(self):
        return statistics.median(self.samples) if self.samples else None

    @property
    def floor(self):
        return statistics.median(self.floor_samples) if self.floor_samples else None

    @property
    def ratio(self):
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor

    @property
    def status(self):
        if self.error:
            return "FAILED"
        if not self.target:
            return "info"
        x = self.ratio if self.target.on == "ratio" else self.value
        if x is None:
            return "FAILED"
        return "ok" if self.target.met(x) else "MISSED"

    def cells(self):
        fmt = UNITS[self.unit]
        if self.error:
            return [size_label(self.size), self.figure, "—", "—", "—", self.target_text(), "FAILED"]
        floor = f"{self.floor_name} {fmt(self.floor)}" if self.floor_samples else "—"
        ratio = f"{self.ratio:.2f}×" if self.ratio is not None else "—"
        return [size_label(self.size), self.figure, fmt(self.value), floor, ratio,
                self.target_text(), self.status]

    def target_text(self):
        if not self.target:
            return "—"
        op = "≤" if self.target.op == "<=" else "≥"
        if self.target.on == "ratio":
            limit = self.target.limit
            return f"{op} {limit:.1f}×" if round(limit, 1) == limit else f"{op} {limit:.2f}×"
        if self.unit == "KiB":
            return f"{op} {self.target.limit / KiB_PER_MiB:g} MiB"
        return f"{op} {UNITS[self.unit](self.target.limit)}"

    def to_json(self):
        return {
            "size": self.size, "family": self.family, "key": self.key,
            "figure": self.figure, "unit": self.unit,
            "median": self.value, "samples": self.samples,
            "floor": None if not self.floor_samples else {
                "name": self.floor_name, "median": self.floor, "samples": self.floor_samples},
            "ratio": self.ratio,
            "target": dataclasses.asdict(self.target) if self.target else None,
            "status": self.status, "error": self.error,
        }


def size_label(n):
    return f"{n:,} changes"


# --------------------------------------------------------------------------
# Corpora and per-size workspaces


def corpus_stamp(size):
    with open(GENERATOR, "rb") as f:
        gen_hash = hashlib.sha256(f.read()).hexdigest()
    return {"format": CORPUS_FORMAT, "generator_sha256": gen_hash,
            "changes": size, **CORPUS_ARGS}


def ensure_corpus(out, size, regenerate=False):
    """The cached corpus for size, generated only when missing or stale.
    Returns (repo path, facts dict)."""
    repo = os.path.join(out, "corpus", str(size))
    stamp_path = repo + ".stamp.json"
    want = corpus_stamp(size)
    if not regenerate and os.path.isdir(os.path.join(repo, ".git")):
        try:
            with open(stamp_path) as f:
                have = json.load(f)
            if have.get("args") == want:
                return repo, have["facts"]
        except (OSError, ValueError, KeyError):
            pass
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    cmd = [sys.executable, GENERATOR, "--out", repo, "--force", "--quiet",
           "--changes", str(size), "--commits", str(CORPUS_ARGS["commits"]),
           "--changes-per-commit", str(CORPUS_ARGS["changes_per_commit"]),
           "--seed", str(CORPUS_ARGS["seed"])]
    if CORPUS_ARGS["pack"]:
        cmd.append("--pack")
    os.makedirs(os.path.dirname(repo), exist_ok=True)
    log(f"[{size_label(size)}] generating corpus (cached for later runs) ...")
    seconds, _ = run(cmd)
    files = total = 0
    for d, _, names in os.walk(os.path.join(repo, "openspec")):
        for n in names:
            files += 1
            total += os.path.getsize(os.path.join(d, n))
    facts = {"files": files, "bytes": total, "commits": CORPUS_ARGS["commits"] + 1,
             "generation_seconds": round(seconds, 1)}
    log(f"[{size_label(size)}] corpus: {files:,} files, {total / 1e6:.1f} MB in {seconds:.1f} s")
    with open(stamp_path, "w") as f:
        json.dump({"args": want, "facts": facts}, f, indent=2)
    return repo, facts


class Context:
    """One corpus size: a scratch copy of the cached corpus (never mutated),
    the tool, and helpers the benchmark functions share."""

    def __init__(self, args, size, corpus, facts):
        self.args = args
        self.size = size
        self.corpus = corpus
        self.facts = facts
        self.binary = args.binary
        self.runs = args.runs
        self.work = os.path.join(args.out, "work", str(size))
        self._repo = None
        self._state_db = None

    # -- scratch repository -------------------------------------------------

    @property
    def repo(self):
        if self._repo is None:
            self._repo = self._make_scratch()
        return self._repo

    def _make_scratch(self):
        if os.path.exists(self.work):
            shutil.rmtree(self.work)
        os.makedirs(self.work)
        repo = os.path.join(self.work, "repo")
        log(f"[{self.label}] copying corpus to a scratch repository ...")
        run(["cp", "-a", "--reflink=auto", self.corpus, repo])
        # An empty hooks folder: the benchmark's own commits must not start
        # hooks the tool may have installed (that would do the timed work early).
        os.makedirs(os.path.join(self.work, "no-hooks"))
        # Warm-up, untimed: refresh the index (the copy changed every inode),
        # read the whole corpus once into the page cache, load the binary.
        run(["git", "update-index", "-q", "--refresh"], cwd=repo)
        run(FLOOR_STATUS_CMD, cwd=repo)
        self.floor_import(repo, check=True)
        with open(self.binary, "rb") as f:
            while f.read(1 << 20):
                pass
        return repo

    @property
    def label(self):
        return size_label(self.size)

    # -- floors ---------------------------------------------------------------

    def floor_import(self, repo=None, check=False):
        """Seconds for sqlite3 to insert every file under openspec/, fresh DB."""
        repo = repo or self.repo
        db = os.path.join(self.work, "floor.db")
        remove_db(db)
        # rss=True only so both sides pay the same GNU time wrapper (about 1 ms).
        seconds, _ = run(["sqlite3", db, FLOOR_IMPORT_SQL], cwd=repo, rss=True)
        if check:
            n = capture(["sqlite3", db, "SELECT count(*) FROM files"])
            if n != str(self.facts["files"]):
                raise BenchError(f"floor import stored {n} files, corpus has {self.facts['files']}")
        return seconds

    def floor_status(self):
        return run(FLOOR_STATUS_CMD, cwd=self.repo)[0]

    # -- the tool -------------------------------------------------------------

    def tool(self, *argv, db, rss=False, isolated=False):
        """Run `openspec-sync argv --db db`; return (seconds, peak RSS KiB or None).
        isolated=True: the environment of tool_env(db, isolated=True)."""
        return run([self.binary, *argv, "--db", db], cwd=self.repo,
                   env=self.tool_env(db, isolated=isolated), rss=rss)

    def tool_env(self, db, isolated=False):
        """The tool's environment: git isolated, the database and XDG_DATA_HOME
        inside the work folder. isolated=True also drops inherited OPENSPEC_*
        and FILE_WATCHER_* settings (a projects folder, a skip-hooks switch)
        and points HOME and XDG_CONFIG_HOME at an empty folder, so neither the
        tool's own git library nor a hook reads the user's git configuration
        (a core.hooksPath there would move the hooks out of .git/hooks)."""
        env = clean_env({"OPENSPEC_SYNC_DB": db,
                         "XDG_DATA_HOME": os.path.join(self.work, "xdg-data")})
        if isolated:
            for k in [k for k in env if k.startswith(("OPENSPEC_", "FILE_WATCHER_"))]:
                del env[k]
            home = os.path.join(self.work, "home")
            os.makedirs(home, exist_ok=True)
            env.update({"OPENSPEC_SYNC_DB": db, "HOME": home,
                        "XDG_CONFIG_HOME": os.path.join(home, ".config")})
        return env

    def tool_output(self, *argv, db):
        """stdout of `openspec-sync argv --db db` (isolated environment), parsed
        as JSON; raises BenchError when it fails or prints something else."""
        cmd = [self.binary, *argv, "--db", db]
        try:
            r = subprocess.run(cmd, cwd=self.repo, env=self.tool_env(db, isolated=True),
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=COMMAND_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise BenchError(f"`{show_cmd(cmd)}` failed: {e}") from None
        if r.returncode != 0:
            raise BenchError(f"`{show_cmd(cmd)}` failed (exit status {r.returncode}):\n"
                             + indent(r.stderr.strip() or "(no output on stderr)"))
        try:
            return json.loads(r.stdout)
        except ValueError:
            raise BenchError(f"`{show_cmd(cmd)}` printed no JSON:\n" + indent(r.stdout[:2000])) from None

    def git_output(self, *argv):
        """stdout of `git argv` in the scratch repository, stripped; raises BenchError."""
        r = subprocess.run(["git", *argv], cwd=self.repo, env=clean_env(), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        if r.returncode != 0:
            raise BenchError(f"`git {show_cmd(list(argv))}` failed (exit status {r.returncode}):\n"
                             + indent(r.stderr.strip() or "(no output on stderr)"))
        return r.stdout.strip()

    def init(self, db):
        return self.tool("init", "--repo", self.repo, db=db)

    def reconcile(self, db, *flags, rss=False):
        return self.tool("reconcile", "--repo", self.repo, *flags, db=db, rss=rss)

    @property
    def state_db(self):
        """A database that has imported the scratch repository (untimed),
        kept in step by the benchmarks that change the repository."""
        if self._state_db is None:
            db = os.path.join(self.work, "state.db")
            remove_db(db)
            self.init(db)
            self.reconcile(db)
            self._state_db = db
        return self._state_db

    # -- edits ----------------------------------------------------------------

    def live_changes(self):
        base = os.path.join(self.repo, "openspec", "changes")
        return sorted(n for n in os.listdir(base)
                      if n != "archive" and os.path.isdir(os.path.join(base, n)))

    def edit_changes(self, n_changes, tag):
        """Edit n distinct changes the way the corpus history does (checkbox
        toggles in tasks.md, a paragraph appended to proposal.md), without
        committing. Deterministic per tag; returns the change ids."""
        rng = random.Random(f"{self.size}-{tag}")
        touched = rng.sample(self.live_changes(), n_changes)
        base = os.path.join(self.repo, "openspec", "changes")
        for cid in touched:
            gen_corpus.toggle_checkboxes(rng, os.path.join(base, cid, "tasks.md"))
            gen_corpus.append_proposal_paragraph(rng, os.path.join(base, cid, "proposal.md"))
        return touched

    def edit_and_commit(self, n_changes, tag):
        """edit_changes(n, tag), then commit them with `git commit -am`, hooks off."""
        touched = self.edit_changes(n_changes, tag)
        run(["git", "-c", f"core.hooksPath={os.path.join(self.work, 'no-hooks')}",
             "commit", "-q", "-a", "-m", f"bench {tag}: " + ", ".join(touched)], cwd=self.repo)
        return touched

    def progress(self, what, i, n, **timings):
        parts = ", ".join(f"{k} {UNITS['s'](v)}" for k, v in timings.items())
        log(f"[{self.label}] {what} {i}/{n}: {parts}")


# --------------------------------------------------------------------------
# Benchmarks: one function each, in table order.

BENCHMARKS = {}


def benchmark(name, title):
    """Register fn(ctx) -> [Row] as figure family `name` (for --only)."""
    def deco(fn):
        BENCHMARKS[name] = (title, fn)
        return fn
    return deco


@benchmark("import", "full import")
def bench_import(ctx):
    """init + reconcile on a fresh database vs sqlite3 inserting the same
    files in one transaction; peak RSS of the reconcile process."""
    runs = min(3, ctx.runs)
    floors, totals, recs, rss = [], [], [], []
    db = os.path.join(ctx.work, "import.db")
    for i in range(1, runs + 1):
        floors.append(ctx.floor_import())
        remove_db(db)
        t_init, _ = ctx.init(db)
        t_rec, kib = ctx.reconcile(db, rss=True)
        totals.append(t_init + t_rec)
        recs.append(t_rec)
        rss.append(kib)
        ctx.progress("import", i, runs, floor=floors[-1], init=t_init, reconcile=t_rec)
    common = dict(size=ctx.size, family="import", floor_name=FLOOR_IMPORT_NAME)
    return [
        Row(key="import.total", figure="full import (init + reconcile)", unit="s",
            samples=totals, floor_samples=floors, target=Target(2.0), **common),
        Row(key="import.reconcile", figure="full import, reconcile alone", unit="s",
            samples=recs, floor_samples=floors, **common),
        Row(size=ctx.size, family="import", key="import.rss",
            figure="full import, peak RSS of reconcile", unit="KiB",
            samples=rss, target=Target(64 * KiB_PER_MiB, on="value")),
    ]


@benchmark("commit", "reconcile after one commit touching 5 changes")
def bench_commit(ctx):
    """After a commit editing 5 changes: reconcile vs git status, the floor
    timed right before it at the same state."""
    db = ctx.state_db
    floors, recs = [], []
    for i in range(1, ctx.runs + 1):
        ctx.edit_and_commit(5, f"commit-{i}")
        floors.append(ctx.floor_status())
        recs.append(ctx.reconcile(db)[0])
        ctx.progress("commit", i, ctx.runs, floor=floors[-1], reconcile=recs[-1])
    return [Row(size=ctx.size, family="commit", key="commit.reconcile",
                figure="reconcile after a commit touching 5 changes", unit="s",
                samples=recs, floor_name=FLOOR_STATUS_NAME, floor_samples=floors,
                target=Target(1.0))]


@benchmark("noop", "reconcile with nothing changed")
def bench_noop(ctx):
    """Reconcile when nothing changed since the last one vs git status."""
    db = ctx.state_db
    ctx.reconcile(db)  # settle: whatever ran before, the database is now current
    floors, recs = [], []
    for i in range(1, ctx.runs + 1):
        floors.append(ctx.floor_status())
        recs.append(ctx.reconcile(db)[0])
        ctx.progress("noop", i, ctx.runs, floor=floors[-1], reconcile=recs[-1])
    return [Row(size=ctx.size, family="noop", key="noop.reconcile",
                figure="reconcile, nothing changed", unit="s",
                samples=recs, floor_name=FLOOR_STATUS_NAME, floor_samples=floors,
                target=Target(1.0))]


LIST_RSS_LIMIT_MiB = 64  # a listing's peak memory, whatever the number of changes
FLOOR_LIST_NAME = "sqlite3 -json of the change rows"
FLOOR_LIST_SQL = "SELECT * FROM openspecSpecs ORDER BY status, path"


@benchmark("list", "list --all --json: peak memory and time")
def bench_list(ctx):
    """`list --all --json` and the table over every change of the imported
    corpus: peak RSS against the 64 MiB target (streamed rows: it must not
    grow with the number of changes), time against sqlite3 printing the
    change rows as JSON."""
    db = ctx.state_db
    ctx.reconcile(db)  # settle: the database holds every change of the corpus
    runs = min(3, ctx.runs)
    floors, times, json_rss, table_rss = [], [], [], []
    for i in range(1, runs + 1):
        floors.append(run(["sqlite3", "-json", db, FLOOR_LIST_SQL], cwd=ctx.repo, rss=True)[0])
        seconds, kib = ctx.tool("list", "--repo", ctx.repo, "--all", "--json", db=db, rss=True)
        times.append(seconds)
        json_rss.append(kib)
        table_rss.append(ctx.tool("list", "--repo", ctx.repo, "--all", db=db, rss=True)[1])
        ctx.progress("list", i, runs, floor=floors[-1], json=seconds)
    common = dict(size=ctx.size, family="list")
    limit = Target(LIST_RSS_LIMIT_MiB * KiB_PER_MiB, on="value")
    return [
        Row(key="list.json.rss", figure="list --all --json, peak RSS", unit="KiB", samples=json_rss,
            target=limit, **common),
        Row(key="list.table.rss", figure="list --all (table), peak RSS", unit="KiB", samples=table_rss,
            target=limit, **common),
        Row(key="list.json.time", figure="list --all --json", unit="s", samples=times,
            floor_name=FLOOR_LIST_NAME, floor_samples=floors, **common),
    ]


HOOK_MARKER = "# openspec-sync hook v"
HOOK_TRIGGER = "post-commit"  # what the hook's reconcile records as triggeredBy


def task_counts(tasks_path):
    """(done, total) checkboxes of a tasks.md, counted the plain way."""
    done = total = 0
    with open(tasks_path, encoding="utf-8") as f:
        for line in f:
            t = line.lstrip()
            if t[:3] in ("- [", "* [") and t[4:5] == "]":
                total += 1
                done += t[3] in "xX"
    return done, total


def file_tail(path, offset=0, limit=3000):
    """What was appended to a log file since offset (at most limit chars), or ''."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return text if len(text) <= limit else "...\n" + text[-limit:]


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def check_hook_synced(ctx, db, touched, hook_log, log_offset, tag):
    """After a hooked commit: the database must be at HEAD, brought there by
    the post-commit hook, with the new task counts of every touched change.
    Raises BenchError otherwise, so a hook that did nothing cannot look fast."""
    head = ctx.git_output("rev-parse", "HEAD")
    problems = []
    repo = os.path.realpath(ctx.repo)
    projects = [p for p in ctx.tool_output("status", "--json", db=db).get("projects", [])
                if os.path.realpath(p.get("repoPath") or "") == repo]
    if not projects:
        problems.append("`status --json` lists no project for the scratch repository")
    else:
        p = projects[0]
        if p.get("lastReconciledCommit") != head:
            problems.append(f"lastReconciledCommit is {p.get('lastReconciledCommit')}, HEAD is {head}")
        last = p.get("lastRun") or {}
        if last.get("triggeredBy") != HOOK_TRIGGER or not last.get("success"):
            problems.append(f"the last run was triggered by {last.get('triggeredBy')!r}"
                            f" (success: {last.get('success')}), not by a successful {HOOK_TRIGGER} hook")
    listed = {c.get("changeId"): c for c in
              ctx.tool_output("list", "--repo", ctx.repo, "--json", db=db).get("changes", [])}
    base = os.path.join(ctx.repo, "openspec", "changes")
    for cid in touched:
        want = task_counts(os.path.join(base, cid, "tasks.md"))
        c = listed.get(cid)
        have = (c.get("completedTasks"), c.get("totalTasks")) if c else None
        if have != want:
            problems.append(f"{cid}: tasks done/total in the database {have}, in tasks.md {want}")
    if problems:
        log_text = file_tail(hook_log, log_offset)
        raise BenchError(
            "\n".join(problems)
            + ("\nhook log of this commit:\n" + indent(log_text) if log_text
               else "\nthe hook log is empty for this commit")
            + f"\nthe post-commit hook did not bring the database to HEAD ({tag}),"
            " so the hooked commit's time does not include a sync")


@benchmark("hook", "post-commit hook around a commit touching 5 changes")
def bench_hook(ctx):
    """`git commit` of edits to 5 changes with the installed post-commit hook
    vs the same commit with hooks off; the hook's added latency vs git status,
    timed right after the hooked commit."""
    repo = ctx.repo
    db = os.path.join(ctx.work, "hook.db")
    remove_db(db)
    env = ctx.tool_env(db, isolated=True)
    # git must look for hooks in .git/hooks (the default): no core.hooksPath at
    # any level git reads here (user and system configuration are off).
    configured = capture(["git", "config", "--get", "core.hooksPath"], cwd=repo)
    if configured is not None:
        raise BenchError(f"core.hooksPath is set to {configured!r} in the scratch repository;"
                         " the hook benchmark needs the default .git/hooks")
    ctx.tool("init", "--repo", repo, db=db, isolated=True)
    ctx.tool("reconcile", "--repo", repo, db=db, isolated=True)
    ctx.tool("hooks", "install", "--repo", repo, db=db, isolated=True)
    git_dir = os.path.join(repo, ".git")
    hook_log = os.path.join(git_dir, "openspec-sync", "hook.log")
    try:
        script = os.path.join(git_dir, "hooks", "post-commit")
        try:
            with open(script, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as e:
            raise BenchError(f"`hooks install` left no post-commit hook in .git/hooks: {e}") from None
        if HOOK_MARKER not in text or db not in text or not os.access(script, os.X_OK):
            raise BenchError(".git/hooks/post-commit is not an executable openspec-sync hook"
                             " for the benchmark's database after `hooks install`")

        with_hook, without_hook, floors = [], [], []
        for i in range(1, ctx.runs + 1):
            # The same commit with hooks off. An untimed reconcile then brings
            # the database to HEAD, so the hooked commit syncs its 5 changes only.
            touched = ctx.edit_changes(5, f"hook-off-{i}")
            run(["git", "add", "-A", "--", "openspec"], cwd=repo, env=env)
            without_hook.append(run(["git", "-c", "core.hooksPath=/dev/null", "commit", "-q",
                                     "-m", f"bench hook-off-{i}: " + ", ".join(touched)],
                                    cwd=repo, env=env)[0])
            ctx.tool("reconcile", "--repo", repo, db=db, isolated=True)

            touched = ctx.edit_changes(5, f"hook-on-{i}")
            run(["git", "add", "-A", "--", "openspec"], cwd=repo, env=env)
            offset = file_size(hook_log)
            with_hook.append(run(["git", "commit", "-q",
                                  "-m", f"bench hook-on-{i}: " + ", ".join(touched)],
                                 cwd=repo, env=env)[0])
            floors.append(ctx.floor_status())
            check_hook_synced(ctx, db, touched, hook_log, offset, f"run {i}")
            ctx.progress("hook", i, ctx.runs, floor=floors[-1], with_hook=with_hook[-1],
                         without_hook=without_hook[-1])
    finally:
        try:
            ctx.tool("hooks", "uninstall", "--repo", repo, db=db, isolated=True)
        except BenchError as e:
            log(f"bench: [{ctx.label}] removing the benchmark's hooks failed:\n{indent(str(e))}")

    base = statistics.median(without_hook)
    common = dict(size=ctx.size, family="hook", unit="s")
    return [
        Row(key="hook.added", figure="post-commit hook, added latency (commit touching 5 changes)",
            samples=[t - base for t in with_hook], floor_name=FLOOR_STATUS_NAME,
            floor_samples=floors, target=Target(1.0), **common),
        Row(key="hook.commit", figure="git commit with the hook (5 changes)",
            samples=with_hook, **common),
        Row(key="hook.commit_bare", figure="git commit without hooks (5 changes)",
            samples=without_hook, **common),
    ]


# --------------------------------------------------------------------------
# edit: one task ticked through the tool vs the same edit committed with git

EDIT_TOOL_NAME = "openspec-sync"   # the author of the tool's commits (SyncCommit.author)
FLOOR_EDIT_NAME = "git add + git commit"
EDIT_SIZE = 2000  # the size issue 3 names; others only when --sizes names them
EDIT_EXIT = {5: "pending: the edit was saved in the database but not written",
             6: "conflict: the file won and the edit was kept as a conflict"}


def unticked_tasks(data):
    """[(line index, number)] of the lines of a tasks.md (bytes) that start
    with an unticked numbered checkbox, "- [ ] 1.N"."""
    found = []
    for i, line in enumerate(data.split(b"\n")):
        if line.startswith(b"- [ ] "):
            number = line[6:].split(b" ", 1)[0].decode("ascii", "replace")
            if number.startswith("1.") and number[2:].isdigit():
                found.append((i, number))
    return found


def ticked(data, line_index, number):
    """data (bytes) with the checkbox of line line_index ("- [ ] N ...")
    ticked: that one character changed, every other byte the same."""
    lines = data.split(b"\n")
    prefix = b"- [ ] " + number.encode() + b" "
    if not lines[line_index].startswith(prefix):
        raise BenchError(f"line {line_index + 1} is not an unticked task {number}: {lines[line_index]!r}")
    lines[line_index] = b"- [x]" + lines[line_index][5:]
    return b"\n".join(lines)


def pick_task(ctx, rng, exclude=()):
    """A live change (not in exclude) with an unticked task "- [ ] 1.N", and
    one of those tasks: (change id, repo-relative tasks.md, line index, number)."""
    changes = [c for c in ctx.live_changes() if c not in exclude]
    rng.shuffle(changes)
    for cid in changes:
        rel = f"openspec/changes/{cid}/tasks.md"
        try:
            with open(os.path.join(ctx.repo, rel), "rb") as f:
                tasks = unticked_tasks(f.read())
        except FileNotFoundError:
            continue
        if tasks:
            line_index, number = rng.choice(tasks)
            return cid, rel, line_index, number
    raise BenchError("no live change has an unticked task \"- [ ] 1.N\" left")


def check_single_commit(ctx, parent, rel, author, what):
    """HEAD must be one new commit on parent, by author, that changes exactly rel."""
    problems = []
    head = ctx.git_output("rev-parse", "HEAD")
    if head == parent:
        problems.append("HEAD did not move: nothing was committed")
    else:
        have_parent = ctx.git_output("rev-parse", "HEAD^")
        if have_parent != parent:
            problems.append(f"HEAD's parent is {have_parent}, the HEAD before was {parent}")
        have_author = ctx.git_output("log", "-1", "--format=%an")
        if have_author != author:
            problems.append(f"`git log -1 --format=%an` says {have_author!r}, not {author!r}")
        names = ctx.git_output("show", "--name-only", "--format=", "HEAD").splitlines()
        if names != [rel]:
            problems.append(f"`git show --name-only HEAD` names {names or 'no file'}, not exactly {rel}")
    dirty = ctx.git_output("status", "--porcelain", "--", rel)
    if dirty:
        problems.append(f"{rel} is not as committed afterwards (`git status --porcelain`: {dirty})")
    if problems:
        raise BenchError(f"{what}:\n" + indent("\n".join(problems)))
    return head


@dataclasses.dataclass
class Edit:
    """One task to tick: where it is, the file as it must be afterwards, and HEAD before."""
    cid: str
    rel: str
    path: str
    line_index: int
    number: str
    want: bytes
    parent: str


def next_edit(ctx, rng):
    cid, rel, line_index, number = pick_task(ctx, rng)
    path = os.path.join(ctx.repo, rel)
    with open(path, "rb") as f:
        want = ticked(f.read(), line_index, number)
    return Edit(cid, rel, path, line_index, number, want, ctx.git_output("rev-parse", "HEAD"))


def check_edit(ctx, edit, what):
    """One new commit of exactly the file, and the file ticked with every other byte kept."""
    check_single_commit(ctx, edit.parent, edit.rel, EDIT_TOOL_NAME, what)
    with open(edit.path, "rb") as f:
        have = f.read()
    if have != edit.want:
        lines = have.split(b"\n")
        line = lines[edit.line_index] if edit.line_index < len(lines) else b""
        raise BenchError(f"{what}, {edit.rel} is not the file with task {edit.number} ticked and every"
                         f" other byte kept; line {edit.line_index + 1} is {line!r}")


def edit_floor(ctx, rng, cid, env, tag):
    """The edit figure's floor: the same one-character edit to a change other
    than `cid`, by Python, then `git add FILE && git commit` with hooks off;
    the two processes' seconds."""
    git_no_hooks = ["git", "-c", "core.hooksPath=/dev/null"]
    f_cid, f_rel, f_line, f_number = pick_task(ctx, rng, exclude={cid})
    f_path = os.path.join(ctx.repo, f_rel)
    with open(f_path, "rb") as f:
        data = ticked(f.read(), f_line, f_number)
    with open(f_path, "wb") as f:
        f.write(data)
    parent = ctx.git_output("rev-parse", "HEAD")
    t_add = run([*git_no_hooks, "add", "--", f_rel], cwd=ctx.repo, env=env)[0]
    t_commit = run([*git_no_hooks, "commit", "-q", "-m", f"bench {tag}: tick {f_cid} {f_number}"],
                   cwd=ctx.repo, env=env)[0]
    check_single_commit(ctx, parent, f_rel, gen_corpus.GIT_ENV["GIT_AUTHOR_NAME"],
                        f"after the floor's `git add {f_rel} && git commit`")
    return t_add + t_commit


@benchmark("edit", "one task ticked, written, committed and synced")
def bench_edit(ctx):
    """`openspec-sync task SPEC 1.N --done` (write tasks.md atomically,
    commit exactly that file, update the database) vs `git add FILE && git
    commit` of the same one-character edit to another change."""
    if ctx.size != EDIT_SIZE and not ctx.args.sizes_given:
        log(f"[{ctx.label}] edit: skipped (runs at {size_label(EDIT_SIZE)}; name other sizes"
            " with --sizes to measure it there)")
        return []
    repo = ctx.repo
    db = os.path.join(ctx.work, "edit.db")
    remove_db(db)
    ctx.tool("init", "--repo", repo, db=db, isolated=True)
    ctx.tool("reconcile", "--repo", repo, db=db, isolated=True)
    env = ctx.tool_env(db, isolated=True)
    rng = random.Random(f"{ctx.size}-edit")
    values, floors = [], []
    for i in range(1, ctx.runs + 1):
        # The tool: tick one task of one change, from a database at HEAD.
        edit = next_edit(ctx, rng)
        cid, number, path = edit.cid, edit.number, edit.path
        try:
            values.append(ctx.tool("task", cid, number, "--done", db=db, isolated=True)[0])
        except BenchError as e:
            why = next((text for code, text in EDIT_EXIT.items() if f"(exit status {code})" in str(e)), None)
            if why:
                last = (ctx.tool_output("history", cid, "--limit", "1", "--json", db=db)
                        .get("items") or [{}])[0]
                raise BenchError(f"{e}\n{why} ({last.get('errorMessage') or 'no reason in the history'});"
                                 " the figure needs the edit written and committed") from None
            raise
        check_edit(ctx, edit, f"after `openspec-sync task {cid} {number} --done`")
        listed = {c.get("changeId"): c for c in
                  ctx.tool_output("list", "--repo", repo, "--json", db=db).get("changes", [])}
        want_counts = task_counts(path)
        have_counts = (listed[cid].get("completedTasks"), listed[cid].get("totalTasks")) if cid in listed else None
        if have_counts != want_counts:
            raise BenchError(f"after `openspec-sync task {cid} {number} --done`, the database has tasks"
                             f" done/total {have_counts} for {cid}, tasks.md {want_counts}: not synced")

        floors.append(edit_floor(ctx, rng, cid, env, f"edit-{i}"))
        # Untimed: the database takes the floor's commit, so the next timed
        # `task` starts from a database at HEAD and syncs its own edit only.
        ctx.tool("reconcile", "--repo", repo, db=db, isolated=True)
        ctx.progress("edit", i, ctx.runs, floor=floors[-1], task=values[-1])
    rows = [Row(size=ctx.size, family="edit", key="edit.task",
                figure="one task ticked, written, committed and synced (task --done)", unit="s",
                samples=values, floor_name=FLOOR_EDIT_NAME, floor_samples=floors,
                target=Target(0.5))]

    # The same edit made where a web UI makes it: specs.toggleTask on a
    # running server (one keep-alive connection), which pays the process
    # start, libgit2's initialisation and the database open once, not per edit.
    token = "bench-" + hashlib.sha256(os.urandom(32)).hexdigest()
    env["OPENSPEC_SYNC_TOKEN"] = token
    p, port = start_server(ctx, db, env, f"edit-{ctx.size}")
    values, floors = [], []
    try:
        client = APIClient(port, token)
        client.call("GET", "projects.list")  # connected and warm, as an open tab is
        for i in range(1, ctx.runs + 1):
            edit = next_edit(ctx, rng)
            cid, number, path = edit.cid, edit.number, edit.path
            started = time.perf_counter()
            status, reply = client.call("POST", "specs.toggleTask", {"specId": cid, "task": number, "done": True})
            values.append(time.perf_counter() - started)
            outcome = ((reply or {}).get("result") or {}).get("data", {}).get("outcome")
            if status != 200 or outcome != "written":
                raise BenchError(f"specs.toggleTask {cid} {number}: HTTP {status}: {str(reply)[:300]};"
                                 " the figure needs the edit written and committed")
            check_edit(ctx, edit, f"after specs.toggleTask {cid} {number}")
            status, reply = client.call("GET", "specs.get", {"specId": cid})
            data = ((reply or {}).get("result") or {}).get("data") or {}
            if (data.get("completedTasks"), data.get("totalTasks")) != task_counts(path):
                raise BenchError(f"after specs.toggleTask {cid} {number}, specs.get has tasks"
                                 f" {data.get('completedTasks')}/{data.get('totalTasks')}, tasks.md"
                                 f" {task_counts(path)}: not synced")

            floors.append(edit_floor(ctx, rng, cid, env, f"api-edit-{i}"))
            # Untimed, as above: the server's database takes the floor's commit.
            status, reply = client.call("POST", "sync.forceSync", {})
            if status != 200:
                raise BenchError(f"sync.forceSync: HTTP {status}: {str(reply)[:300]}")
            ctx.progress("edit (server)", i, ctx.runs, floor=floors[-1], toggle=values[-1])
        client.close()
    finally:
        stop_server(p)
    rows.append(Row(size=ctx.size, family="edit", key="edit.api",
                    figure="one task ticked, written, committed and synced (specs.toggleTask on a running server)",
                    unit="s", samples=values, floor_name=FLOOR_EDIT_NAME, floor_samples=floors,
                    target=Target(0.6)))  # the server-throughput issue's target for a toggle
    return rows


DAEMON_SIZE = 2000      # the daemon figure's corpus size (others: --daemon-all-sizes)
DAEMON_INTERVAL = 30    # seconds between scan rounds: the daemon's default
DAEMON_STARTUP = 5      # seconds allowed for start-up before the window opens
DAEMON_STOP = 10        # seconds it may take to exit after SIGTERM


def cpu_seconds(pid):
    """utime + stime of a process, all its threads included, in seconds
    (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # the name in (...) may hold spaces
    # fields[0] is field 3 (state), so field n is fields[n - 3].
    return (int(fields[14 - 3]) + int(fields[15 - 3])) / os.sysconf("SC_CLK_TCK")


@benchmark("daemon", "idle daemon CPU")
def bench_daemon(ctx):
    """`openspec-sync run --interval 30 --watch` on an imported project
    where nothing changes: CPU time over a window, as % of one core."""
    if ctx.size != DAEMON_SIZE and not ctx.args.daemon_all_sizes:
        log(f"[{ctx.label}] idle daemon: skipped (runs at {size_label(DAEMON_SIZE)};"
            " --daemon-all-sizes for every size)")
        return []
    repo = ctx.repo
    db = os.path.join(ctx.work, "daemon.db")
    remove_db(db)
    ctx.tool("init", "--repo", repo, db=db, isolated=True)
    ctx.tool("reconcile", "--repo", repo, db=db, isolated=True)
    daemon_log = os.path.join(ctx.args.out, f"daemon-{ctx.size}.log")
    cmd = [ctx.binary, "run", "--db", db, "--interval", str(DAEMON_INTERVAL), "--watch"]
    window = ctx.args.daemon_seconds

    def failure(what):
        text = file_tail(daemon_log)
        return BenchError(f"`{show_cmd(cmd)}` {what}"
                          + (f"; its log ({project_path(daemon_log)}) ends:\n" + indent(text)
                             if text else "; its log is empty"))

    with open(daemon_log, "wb") as out:
        try:
            p = subprocess.Popen(cmd, cwd=ctx.work, env=ctx.tool_env(db, isolated=True),
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        except OSError as e:
            raise BenchError(f"cannot start `{show_cmd(cmd)}`: {e}") from None
    try:
        log(f"[{ctx.label}] idle daemon: started (pid {p.pid}), measuring {window:g} s"
            f" after {DAEMON_STARTUP} s of start-up ...")
        time.sleep(DAEMON_STARTUP)
        if p.poll() is not None:
            raise failure(f"exited during start-up (exit status {p.returncode})")
        startup_cpu = cpu_seconds(p.pid)
        t0 = time.perf_counter()
        time.sleep(window)
        if p.poll() is not None:
            raise failure(f"exited during the window (exit status {p.returncode})")
        used = cpu_seconds(p.pid) - startup_cpu
        wall = time.perf_counter() - t0
        percent = used / wall * 100
        log(f"[{ctx.label}] idle daemon: {used:.2f} s CPU in {wall:.1f} s = {percent:.2f} %"
            f" of a core (start-up used {startup_cpu:.2f} s)")

        t_stop = time.perf_counter()
        p.send_signal(signal.SIGTERM)
        try:
            code = p.wait(timeout=DAEMON_STOP)
        except subprocess.TimeoutExpired:
            code = None
        stopped = time.perf_counter() - t_stop
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()

    common = dict(size=ctx.size, family="daemon")
    rows = [Row(key="daemon.cpu",
                figure=f"idle daemon CPU (run --interval {DAEMON_INTERVAL} --watch, {wall:.0f} s)",
                unit="%", samples=[percent], target=Target(1.0, on="value"), **common)]
    stop = Row(key="daemon.stop", figure="idle daemon, exit after SIGTERM", unit="s",
               samples=[stopped], **common)
    if code != 0:
        text = file_tail(daemon_log)
        stop.error = ((f"log ({project_path(daemon_log)}) ends:\n" + indent(text) + "\n" if text else "")
                      + f"the daemon (`openspec-sync run --interval {DAEMON_INTERVAL} --watch`) "
                      + (f"did not exit within {DAEMON_STOP} s of SIGTERM (killed)" if code is None
                         else f"exited with status {code} after SIGTERM (0 expected)"))
    rows.append(stop)
    return rows


# --------------------------------------------------------------------------
# API under load: wrk against the server, nginx serving the same bytes as
# the floor, a single client's latency, concurrent writers, and many
# event-stream subscribers.

API_SIZE = 2000          # the load run's corpus size (others: --sizes names them)
API_MAX_SECONDS = 300    # the longest wrk run allowed, whatever --api-seconds says
API_STARTUP = 30         # seconds allowed for the server to print its address
API_READ_THREADS, API_READ_CONNECTIONS = 2, 32
API_WRITERS = 10         # concurrent writers (wrk connections), against one in a loop
API_SEQUENTIAL = 2000    # one client's requests, one keep-alive connection
API_GET_BYTES = 12_500   # the size of the specs.get reply the reads ask for
API_SSE_ROUNDS = 20      # writes whose events every subscriber must receive
API_READ_RATIO = 0.25    # specs.get throughput / nginx's, at least
API_READ_P99 = 0.020
API_SINGLE_P50 = 0.001
API_WRITE_RATIO = 5.0    # ten writers / one writer, at least
API_WRITE_P99 = 0.300
API_SSE_P99 = 0.100
SSE_CLIENT = os.path.join(HERE, "sse_subscribers.py")
API_PARTS = ("reads", "single", "writes", "subscribers")  # --api-parts


def percentile(samples, p):
    """The p-th percentile (0-100) by nearest rank."""
    ordered = sorted(samples)
    rank = max(1, int(round(p / 100 * len(ordered) + 0.5)))
    return ordered[min(rank, len(ordered)) - 1]


def query_path(procedure, data=None):
    import urllib.parse
    path = "/trpc/" + procedure
    if data is not None:
        path += "?input=" + urllib.parse.quote(json.dumps(data, separators=(",", ":")), safe="")
    return path


class APIClient:
    """One keep-alive connection to the server, as one browser tab would hold it."""

    def __init__(self, port, token):
        import http.client
        self.http = http.client
        self.port = port
        self.token = token
        self.conn = None

    def raw(self, method, path, body=None):
        """(HTTP status, body bytes); one retry on a dropped keep-alive connection."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = self.http.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                headers = {} if body is None else {"Content-Type": "application/json",
                                                   "Authorization": "Bearer " + self.token}
                self.conn.request(method, path, body=body, headers=headers)
                reply = self.conn.getresponse()
                return reply.status, reply.read()
            except (ConnectionError, self.http.HTTPException) as e:
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise BenchError(f"{method} {path[:200]}: {e}") from None

    def call(self, method, procedure, data=None):
        """(HTTP status, parsed JSON reply)."""
        if method == "GET":
            status, body = self.raw("GET", query_path(procedure, data))
        else:
            status, body = self.raw("POST", "/trpc/" + procedure, json.dumps(data))
        return status, json.loads(body) if body else None

    def close(self):
        if self.conn is not None:
            self.conn.close()


def raise_open_files():
    """The soft limit on open files up to the hard one (for a thousand streams)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_server(ctx, db, env, name, max_connections=128):
    """`openspec-sync serve` on a free loopback port: (process, port). The
    caller stops it with stop_server, in a finally."""
    server_log = os.path.join(ctx.args.out, f"{name}.log")
    cmd = [ctx.binary, "serve", "--db", db, "--host", "127.0.0.1", "--port", "0",
           "--max-connections-per-client", str(max_connections)]
    with open(server_log, "wb") as out:
        try:
            p = subprocess.Popen(cmd, cwd=ctx.work, env=env, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT, preexec_fn=raise_open_files)
        except OSError as e:
            raise BenchError(f"cannot start `{show_cmd(cmd)}`: {e}") from None
    port = None
    deadline = time.monotonic() + API_STARTUP
    while port is None and time.monotonic() < deadline and p.poll() is None:
        with open(server_log, errors="replace") as f:
            for line in f:
                if "API on http://127.0.0.1:" in line:
                    port = int(line.split("127.0.0.1:", 1)[1].split("/", 1)[0])
        time.sleep(0.05)
    if port is None:
        stop_server(p)
        raise BenchError(f"`{show_cmd(cmd)}` printed no address within {API_STARTUP} s; its log ends:\n"
                         + indent(file_tail(server_log)))
    return p, port


def stop_server(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wrk_or_fail(url, **kw):
    try:
        return wrk_load.run_wrk(url, **kw)
    except wrk_load.LoadError as e:
        raise BenchError(str(e)) from None


class APILoad:
    """The server and nginx of one api run, and the errors seen on the way."""

    def __init__(self, ctx, port, token, floor):
        self.ctx, self.port, self.token, self.floor = ctx, port, token, floor
        self.errors = []
        self.seconds = min(ctx.args.api_seconds, API_MAX_SECONDS)

    def url(self, port, path):
        return f"http://127.0.0.1:{port}{path}"

    def note(self, what, result):
        for e in result.errors:
            self.errors.append(f"{what}: {e}")


def pick_get_change(ctx, client):
    """The live change whose specs.get reply is nearest API_GET_BYTES: (input, reply bytes)."""
    rng = random.Random(f"api-get-{ctx.size}")
    changes = ctx.live_changes()
    best = None
    for cid in rng.sample(changes, min(80, len(changes))):
        data = {"specId": cid}
        status, body = client.raw("GET", query_path("specs.get", data))
        if status != 200:
            raise BenchError(f"specs.get {cid} gave HTTP {status}: {body[:300]!r}")
        if best is None or abs(len(body) - API_GET_BYTES) < abs(len(best[1]) - API_GET_BYTES):
            best = (data, body)
    return best


def read_rows(load, paths):
    """specs.get and specs.list under wrk -t2 -c32, the server and nginx
    alternating, each twice; ratio = ours / nginx's requests per second."""
    rows, common = [], dict(size=load.ctx.size, family="api")
    conc = f"wrk -t{API_READ_THREADS} -c{API_READ_CONNECTIONS}"
    for key, label, target in (("get", f"specs.get ({len(paths['specs.get'][1]) / 1000:.1f} KB reply)", True),
                               ("list", f"specs.list, first page ({len(paths['specs.list'][1]) / 1000:.0f} KB)", False)):
        path = paths["specs." + key][0]
        ours, floor = [], []
        for i in range(2):
            for side, port, into in (("server", load.port, ours), ("nginx", load.floor.port, floor)):
                r = wrk_or_fail(load.url(port, path), threads=API_READ_THREADS,
                                connections=API_READ_CONNECTIONS, seconds=load.seconds)
                load.note(f"{key} ({side})", r)
                into.append(r)
                log(f"[{load.ctx.label}] api: {label} {side}: {r.rate:,.0f} req/s,"
                    f" p50 {r.p50 * 1000:.2f} ms, p99 {r.p99 * 1000:.2f} ms")
        rows += [
            Row(key=f"api.{key}.rate", figure=f"{label}, {conc}", unit="req/s",
                samples=[r.rate for r in ours], floor_name="nginx, same bytes",
                floor_samples=[r.rate for r in floor],
                target=Target(API_READ_RATIO, op=">=") if target else None, **common),
            Row(key=f"api.{key}.p50", figure=f"{label} latency p50, {conc}", unit="s",
                samples=[r.p50 for r in ours], floor_name="nginx", floor_samples=[r.p50 for r in floor], **common),
            Row(key=f"api.{key}.p99", figure=f"{label} latency p99, {conc}", unit="s",
                samples=[r.p99 for r in ours], floor_name="nginx", floor_samples=[r.p99 for r in floor],
                target=Target(API_READ_P99, on="value") if target else None, **common),
        ]
    return rows


def sequential_latencies(port, path, expect, n):
    """n GETs of path, one after another on one keep-alive connection: seconds each."""
    client, samples = APIClient(port, ""), []
    try:
        for i in range(n + n // 10):  # the first tenth warms up, untimed
            t0 = time.perf_counter()
            status, body = client.raw("GET", path)
            took = time.perf_counter() - t0
            if status != 200 or len(body) != len(expect):
                raise BenchError(f"GET {path} on port {port}: HTTP {status}, {len(body)} bytes,"
                                 f" not 200 and {len(expect)}")
            if i >= n // 10:
                samples.append(took)
    finally:
        client.close()
    return samples


def single_client_rows(load, paths):
    """projects.list and sync.getStatus, one client, API_SEQUENTIAL requests;
    the floor is the same client against nginx serving the same bytes."""
    rows, common = [], dict(size=load.ctx.size, family="api")
    for procedure in ("projects.list", "sync.getStatus"):
        path, body = paths[procedure]
        ours = sequential_latencies(load.port, path, body, API_SEQUENTIAL)
        floor = sequential_latencies(load.floor.port, path, body, API_SEQUENTIAL)
        log(f"[{load.ctx.label}] api: {procedure}, one client: p50 {percentile(ours, 50) * 1000:.3f} ms,"
            f" p99 {percentile(ours, 99) * 1000:.3f} ms (nginx p50 {percentile(floor, 50) * 1000:.3f} ms)")
        label = f"{procedure} latency, one client, {API_SEQUENTIAL:,} requests"
        rows += [
            Row(key=f"api.{procedure}.p50", figure=f"{label}, p50", unit="s", samples=[percentile(ours, 50)],
                floor_name="nginx", floor_samples=[percentile(floor, 50)],
                target=Target(API_SINGLE_P50, on="value"), **common),
            Row(key=f"api.{procedure}.p99", figure=f"{label}, p99", unit="s", samples=[percentile(ours, 99)],
                floor_name="nginx", floor_samples=[percentile(floor, 99)], **common),
        ]
    return rows


@dataclasses.dataclass
class TaskPair:
    """An unticked task "- [ ] N" the writes tick: where it is."""
    cid: str
    rel: str
    line_index: int
    number: str


def task_pairs(ctx):
    """Every unticked numbered task of the live changes, shuffled (seeded)."""
    pairs = []
    for cid in ctx.live_changes():
        rel = f"openspec/changes/{cid}/tasks.md"
        try:
            with open(os.path.join(ctx.repo, rel), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        if not all(c.isalnum() or c in "-_." for c in cid):
            continue  # the Lua script writes the id into JSON unescaped
        pairs += [TaskPair(cid, rel, i, number) for i, number in unticked_tasks(data)]
    random.Random(f"api-pairs-{ctx.size}").shuffle(pairs)
    return pairs


def head_blobs(ctx, rels):
    """{rel: bytes of HEAD:rel} by one `git cat-file --batch`."""
    query = "".join(f"HEAD:{rel}\n" for rel in rels)
    r = subprocess.run(["git", "cat-file", "--batch"], cwd=ctx.repo, input=query.encode(),
                       capture_output=True, env=clean_env(), timeout=COMMAND_TIMEOUT)
    out, blobs, at = r.stdout, {}, 0
    for rel in rels:
        end = out.index(b"\n", at)
        head = out[at:end].split()
        if len(head) < 3 or head[1] != b"blob":
            raise BenchError(f"git cat-file HEAD:{rel}: {out[at:end][:200]!r}")
        size = int(head[2])
        blobs[rel] = out[end + 1:end + 1 + size]
        at = end + 1 + size + 1
    return blobs


def check_toggles(ctx, pairs, originals, head_before, result):
    """Every acknowledged tick is in HEAD's file and on disk, and nothing
    else changed: the ticked tasks number at least the "written" replies
    and at most the requests sent. A list of problems (empty: all is well)."""
    problems = []
    rels = sorted({p.rel for p in pairs})
    changed = set(ctx.git_output("diff", "--name-only", head_before, "HEAD").splitlines())
    if changed - set(rels):
        problems.append(f"commits changed files no request asked for: {sorted(changed - set(rels))[:5]}")
    blobs, ticked = head_blobs(ctx, rels), 0
    by_rel = {}
    for p in pairs:
        by_rel.setdefault(p.rel, []).append(p)
    for rel in rels:
        head = blobs[rel]
        with open(os.path.join(ctx.repo, rel), "rb") as f:
            if f.read() != head:
                problems.append(f"{rel} on disk is not as in HEAD")
        lines = head.split(b"\n")
        for p in by_rel[rel]:
            if lines[p.line_index].startswith(b"- [x] " + p.number.encode() + b" "):
                ticked += 1
                lines[p.line_index] = b"- [ ]" + lines[p.line_index][5:]
        if b"\n".join(lines) != originals[rel]:
            problems.append(f"{rel} in HEAD differs from before in more than the ticks asked for")
    if ticked < result["written"]:
        problems.append(f"{result['written']} edits acknowledged as written, {ticked} ticked in HEAD")
    if ticked > result["sent"]:
        problems.append(f"{ticked} tasks ticked in HEAD for {result['sent']} requests")
    waiting = capture(["sqlite3", ctx.api_db, "SELECT count(*) FROM pendingWrites WHERE status = 'pending'"])
    if waiting != "0":
        problems.append(f"{waiting} writes still pending after the run")
    return problems, ticked


def wait_until_written(ctx, limit=60):
    """After wrk stops, the requests still in flight are carried out: wait
    until no edit is pending, the tree is clean and HEAD has not moved for a second."""
    deadline, last = time.monotonic() + limit, None
    while time.monotonic() < deadline:
        head = ctx.git_output("rev-parse", "HEAD")
        pending = capture(["sqlite3", ctx.api_db, "SELECT count(*) FROM pendingWrites WHERE status = 'pending'"])
        if head == last and pending == "0" and not ctx.git_output("status", "--porcelain", "--", "openspec"):
            return
        last = head
        time.sleep(1.0)


def write_run(load, pairs, connections, name):
    """specs.toggleTask by wrk with `connections` writers, each request a task
    of its own, then the check: (wrk result, the Lua script's counts, problems)."""
    ctx = load.ctx
    pairs_file = os.path.join(ctx.work, f"pairs-{name}.tsv")
    with open(pairs_file, "w") as f:
        f.writelines(f"{p.cid}\t{p.number}\n" for p in pairs)
    head_before = ctx.git_output("rev-parse", "HEAD")
    originals = head_blobs(ctx, sorted({p.rel for p in pairs}))
    threads = min(2, connections)
    r = wrk_or_fail(load.url(load.port, ""), threads=threads, connections=connections, seconds=load.seconds,
                    script=wrk_load.TOGGLE_SCRIPT, script_args=(pairs_file, load.token, str(threads)))
    load.note(f"writes ({name})", r)
    wait_until_written(ctx)
    line = next((l for l in r.output.splitlines() if l.startswith("toggle-result ")), None)
    if line is None:
        raise BenchError(f"the wrk script printed no toggle-result line:\n{r.output[-1500:]}")
    counts = json.loads(line.split(" ", 1)[1])
    if counts["failed"]:
        load.errors.append(f"writes ({name}): {counts['failed']} replies neither written nor unchanged")
    if counts["exhausted"]:
        load.errors.append(f"writes ({name}): {counts['exhausted']} requests past the {len(pairs):,}"
                           " tasks prepared (make --api-seconds shorter)")
    problems, ticked = check_toggles(ctx, pairs, originals, head_before, counts)
    commits = int(ctx.git_output("rev-list", "--count", f"{head_before}..HEAD"))
    log(f"[{ctx.label}] api: writes, {connections} writer(s): {r.rate:,.1f} req/s, p50 {r.p50 * 1000:.1f} ms,"
        f" p99 {r.p99 * 1000:.1f} ms; {counts['written']} written, {ticked} ticked in {commits} commits")
    return r, counts, problems


def write_rows(load):
    """One writer in a loop, then API_WRITERS at once, on distinct tasks;
    the second half of the tasks is left for the subscribers' writes."""
    ctx, common = load.ctx, dict(size=load.ctx.size, family="api")
    pairs = task_pairs(ctx)
    half = len(pairs) // 2
    one, one_counts, one_problems = write_run(load, pairs[:half // 4], 1, "one")
    many, many_counts, many_problems = write_run(load, pairs[half // 4:half], API_WRITERS, "many")
    problems = [f"one writer: {p}" for p in one_problems] + [f"{API_WRITERS} writers: {p}" for p in many_problems]
    label = f"specs.toggleTask, {API_WRITERS} writers (wrk -c{API_WRITERS}), each a task of its own"
    rows = [
        Row(key="api.write.rate", figure=label, unit="req/s", samples=[many.rate],
            floor_name="one writer in a loop", floor_samples=[one.rate],
            target=Target(API_WRITE_RATIO, op=">="), **common),
        Row(key="api.write.p50", figure=f"{label}, latency p50", unit="s", samples=[many.p50],
            floor_name="one writer", floor_samples=[one.p50], **common),
        Row(key="api.write.p99", figure=f"{label}, latency p99", unit="s", samples=[many.p99],
            floor_name="one writer", floor_samples=[one.p99], target=Target(API_WRITE_P99, on="value"), **common),
        Row(key="api.write.check", figure="acknowledged edits missing from disk or git, or other damage",
            unit="count", samples=[len(problems)], target=Target(0, on="value"), **common),
    ]
    if problems:
        rows[-1].error = "\n".join(problems[:10])
    return rows, pairs[half:]


def read_ready(proc, timeout):
    """The subscriber process's "ready N" line, or a BenchError."""
    import select
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("ready "):
        proc.kill()
        err = proc.stderr.read()[-1500:] if proc.poll() is not None or proc.wait() is not None else ""
        raise BenchError(f"the subscribers did not all connect within {timeout} s: {line.strip()!r}\n{err}")
    return int(line.split()[1])


def subscriber_rows(load, pairs):
    """ctx.args.api_subscribers streams of sync.subscribe; API_SSE_ROUNDS
    writes through the API, a few hundred ms apart; per subscriber and
    write, the time from the write's reply (its sync done and committed) to
    the arrival of the write's last event."""
    ctx, common = load.ctx, dict(size=load.ctx.size, family="api")
    n = ctx.args.api_subscribers
    proc = subprocess.Popen([sys.executable, SSE_CLIENT, "--port", str(load.port), "--count", str(n)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=raise_open_files)
    rng, client, rounds = random.Random(f"api-sse-{ctx.size}"), APIClient(load.port, load.token), []
    try:
        connected = read_ready(proc, 120)
        log(f"[{ctx.label}] api: {connected} subscribers connected; {API_SSE_ROUNDS} writes ...")
        for pair in pairs[:API_SSE_ROUNDS]:
            time.sleep(rng.uniform(0.2, 0.4))
            status, reply = client.call("POST", "specs.toggleTask",
                                        {"specId": pair.cid, "task": pair.number, "done": True})
            acked = time.monotonic()
            outcome = (reply or {}).get("result", {}).get("data", {}).get("outcome")
            if status != 200 or outcome != "written":
                load.errors.append(f"subscribers: specs.toggleTask {pair.cid}: HTTP {status}: {str(reply)[:300]}")
                continue
            last = int(capture(["sqlite3", ctx.api_db, "SELECT MAX(id) FROM syncHistory"]))
            rounds.append((last, acked))
        time.sleep(1.0)
        out, err = proc.communicate(input="", timeout=120)
    finally:
        client.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    report = json.loads(out.strip().splitlines()[-1])
    delays, missed, firsts = [], 0, {}
    for arrivals in report["arrivals"]:
        seen = dict((event_id, at) for event_id, at in arrivals)
        for last, acked in rounds:
            if last in seen:
                delays.append(seen[last] - acked)
                firsts[last] = min(firsts.get(last, float("inf")), seen[last] - acked)
            else:
                missed += 1
    if report["closed"]:
        load.errors.append(f"subscribers: the server closed {report['closed']} streams")
    log(f"[{ctx.label}] api: events to {n} subscribers: {len(delays)} arrivals, {missed} missed;"
        f" p50 {percentile(delays, 50) * 1000:.1f} ms, p99 {percentile(delays, 99) * 1000:.1f} ms" if delays else
        f"[{ctx.label}] api: no event arrived")
    label = f"sync.subscribe, {n:,} subscribers: a write's event, from its reply to arrival"
    rows = [
        Row(key="api.sse.p50", figure=f"{label}, p50", unit="s",
            samples=[percentile(delays, 50)] if delays else [], **common),
        Row(key="api.sse.p99", figure=f"{label}, p99", unit="s", samples=[percentile(delays, 99)] if delays else [],
            target=Target(API_SSE_P99, on="value"), **common),
        Row(key="api.sse.first", figure=f"{label}, the first subscriber's (median of the writes)", unit="s",
            samples=[statistics.median(firsts.values())] if firsts else [], **common),
        Row(key="api.sse.missed", figure=f"events not received ({len(rounds)} writes × {n:,} subscribers)",
            unit="count", samples=[missed], target=Target(0, on="value"), **common),
    ]
    if not delays:
        rows[1].error = "no event reached a subscriber"
    return rows


def reply_bodies(client, get_input):
    """{procedure: (URL path with input, the server's reply bytes)} for the read figures."""
    paths = {}
    for procedure, data in (("specs.get", get_input), ("specs.list", {}),
                            ("projects.list", None), ("sync.getStatus", None)):
        path = query_path(procedure, data)
        status, body = client.raw("GET", path)
        if status != 200:
            raise BenchError(f"GET {path[:200]}: HTTP {status}: {body[:300]!r}")
        paths[procedure] = (path, body)
    return paths


@benchmark("api", "HTTP API under load (wrk)")
def bench_api(ctx):
    """`openspec-sync serve` on loopback with the imported corpus, under wrk:
    reads at -c32 against nginx serving the same bytes (same run), one
    client's latency, ten writers against one, and a thousand event-stream
    subscribers. See Benchmarks/README.md."""
    if ctx.size != API_SIZE and not ctx.args.sizes_given:
        log(f"[{ctx.label}] api: skipped (runs at {size_label(API_SIZE)}; name other sizes"
            " with --sizes to measure it there)")
        return []
    missing = wrk_load.missing_tools()
    if missing:
        raise BenchError(f"not installed: {', '.join(missing)} (`make bench-deps` installs them from Debian)")
    raise_open_files()
    repo = ctx.repo
    ctx.api_db = db = os.path.join(ctx.work, "api.db")
    remove_db(db)
    ctx.tool("init", "--repo", repo, db=db, isolated=True)
    ctx.tool("reconcile", "--repo", repo, db=db, isolated=True)
    token = "bench-" + hashlib.sha256(os.urandom(32)).hexdigest()
    env = ctx.tool_env(db, isolated=True)
    env["OPENSPEC_SYNC_TOKEN"] = token
    p, port = start_server(ctx, db, env, f"api-{ctx.size}", max_connections=ctx.args.api_subscribers + 64)
    floor = None
    try:
        client = APIClient(port, token)
        get_input, _ = pick_get_change(ctx, client)
        paths = reply_bodies(client, get_input)
        client.close()
        floor = wrk_load.StaticFloor(os.path.join(ctx.work, "nginx"),
                                     {path.split("?", 1)[0]: body for path, body in paths.values()},
                                     workers=os.cpu_count() or 1)
        try:
            floor.start()
        except wrk_load.LoadError as e:
            raise BenchError(str(e)) from None
        load = APILoad(ctx, port, token, floor)
        check = APIClient(floor.port, "")
        for procedure, (path, body) in paths.items():
            if check.raw("GET", path) != (200, body):
                raise BenchError(f"nginx does not answer {procedure} with the server's bytes")
        check.close()
        parts, rows = ctx.args.api_parts, []
        if "reads" in parts:
            rows += read_rows(load, paths)
        if "single" in parts:
            rows += single_client_rows(load, paths)
        floor.stop()
        spare = task_pairs(ctx)
        if "writes" in parts:
            more, spare = write_rows(load)
            rows += more
        if "subscribers" in parts:
            rows += subscriber_rows(load, spare)
        if p.poll() is not None:
            load.errors.append(f"the server exited during the run (exit status {p.returncode})")
    finally:
        if floor is not None:
            floor.stop()
        stop_server(p)
    if ctx.git_output("status", "--porcelain", "--", "openspec"):
        load.errors.append("the working tree is not clean after the run")
    for e in load.errors[:10]:
        log("    " + e)
    errors = Row(key="api.errors", figure="API errors (socket errors, non-2xx replies, failed writes)",
                 unit="count", samples=[len(load.errors)], target=Target(0, on="value"),
                 size=ctx.size, family="api")
    if load.errors:
        errors.error = "\n".join(load.errors[:10])
    return [errors] + rows


DASHBOARD_SIZE = 2000
DASHBOARD_LIST_TARGET = 0.300    # seconds: navigation to a rendered list of changes
DASHBOARD_CHANGE_TARGET = 0.150  # seconds: from the list to a rendered change page


@benchmark("dashboard", "Dashboard in headless Chromium")
def bench_dashboard(ctx):
    """`openspec-sync serve` with the imported corpus, the dashboard opened in
    headless Chromium by Benchmarks/dashboard_bench.py (Selenium, from the
    browser tests' virtual environment): a full load of the changes list, and
    a move from the list to a change's page, each until the view has rendered."""
    if ctx.size != DASHBOARD_SIZE and not ctx.args.sizes_given:
        log(f"[{ctx.label}] dashboard: skipped (runs at {size_label(DASHBOARD_SIZE)})")
        return []
    python = ctx.args.browser_python
    if not os.path.exists(python):
        raise BenchError(f"{project_path(python)} is missing: `make .venv-browser/.ready` makes the"
                         " virtual environment with Selenium")
    repo = ctx.repo
    db = os.path.join(ctx.work, "dashboard.db")
    remove_db(db)
    ctx.tool("init", "--repo", repo, "--name", "corpus", db=db, isolated=True)
    ctx.tool("reconcile", "--repo", repo, db=db, isolated=True)
    p, port = start_server(ctx, db, ctx.tool_env(db, isolated=True), f"dashboard-{ctx.size}")
    try:
        login = None
        with open(os.path.join(ctx.args.out, f"dashboard-{ctx.size}.log"), errors="replace") as f:
            for line in f:
                if line.startswith("Dashboard: "):
                    login = line.split(" ", 1)[1].strip()
        if login is None:
            raise BenchError("the server printed no `Dashboard:` sign-in line")
        changes = ",".join(f"corpus/{cid}" for cid in ctx.live_changes()[:ctx.runs])
        cmd = [python, os.path.join(HERE, "dashboard_bench.py"), "--login", login,
               "--changes", changes, "--runs", str(ctx.runs)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise BenchError(f"`{show_cmd(cmd)}` failed:\n" + indent((r.stdout + r.stderr)[-3000:]))
        samples = json.loads(r.stdout)
    finally:
        stop_server(p)
    common = dict(size=ctx.size, family="dashboard", unit="s")
    return [
        Row(key="dashboard.list", figure="Dashboard: navigation to the rendered changes list", samples=samples["list"],
            target=Target(DASHBOARD_LIST_TARGET, on="value"), **common),
        Row(key="dashboard.change", figure="Dashboard: the list to a rendered change page", samples=samples["change"],
            target=Target(DASHBOARD_CHANGE_TARGET, on="value"), **common),
    ]


POSTGRES_SIZE = 2000  # the size issue 17 names; others only when --sizes names them
FLOOR_PG_COPY_NAME = "psql \\copy (path, content)"
FLOOR_PG_COPY_TABLE = "CREATE TABLE files(path text PRIMARY KEY, content text NOT NULL)"
FLOOR_PG_COPY_CMD = "\\copy files(path, content) FROM '{}' WITH (FORMAT csv)"


def pg_copy_data(ctx):
    """Every regular file under openspec/ as one CSV file of (path, content)
    rows, made once, untimed: the floor is what PostgreSQL itself takes."""
    out = os.path.join(ctx.work, "pg-floor.csv")
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        for d, dirs, names in os.walk(os.path.join(ctx.repo, "openspec")):
            dirs.sort()
            for n in sorted(names):
                path = os.path.join(d, n)
                if os.path.isfile(path) and not os.path.islink(path):
                    with open(path, encoding="utf-8") as src:
                        writer.writerow([os.path.relpath(path, ctx.repo), src.read()])
    return out


def pg_copy_floor(server, name, data):
    """Seconds for one psql process to create a table in a fresh database and
    COPY the CSV file data into it; returns (seconds, rows stored). The
    database is made untimed."""
    server.fresh_database(name)
    seconds, _ = run(server.psql_cmd(name, "-c", FLOOR_PG_COPY_TABLE, "-c", FLOOR_PG_COPY_CMD.format(data)))
    return seconds, int(server.psql(name, "SELECT count(*) FROM files"))


def pg_tool(ctx, url, *argv):
    """Run `openspec-sync argv --database-url url` (isolated environment, no
    SQLite file named); returns seconds."""
    env = ctx.tool_env(os.path.join(ctx.work, "unused.db"), isolated=True)
    del env["OPENSPEC_SYNC_DB"]
    return run([ctx.binary, *argv, "--database-url", url], cwd=ctx.repo, env=env)[0]


def pg_changes(ctx, url):
    """Ids of every change `list --all --json` shows from the database url."""
    cmd = [ctx.binary, "list", "--repo", ctx.repo, "--all", "--json", "--database-url", url]
    env = ctx.tool_env(os.path.join(ctx.work, "unused.db"), isolated=True)
    del env["OPENSPEC_SYNC_DB"]
    r = subprocess.run(cmd, cwd=ctx.repo, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=COMMAND_TIMEOUT)
    if r.returncode != 0:
        raise BenchError(f"`{show_cmd(cmd)}` failed (exit status {r.returncode}):\n" + indent(r.stderr.strip()))
    return sorted(change_key(c) for c in json.loads(r.stdout)["changes"])


def change_key(c):
    """What must agree between the two engines for one change of `list --json`."""
    return (c["path"], c["status"], c["title"], c["completedTasks"], c["totalTasks"])


@benchmark("postgres", "PostgreSQL: first import and reconcile after a commit")
def bench_postgres(ctx):
    """A private PostgreSQL server (default durability settings): the first
    import (init + reconcile, fresh database each run) vs psql COPYing the
    same files' contents into a table; then reconcile after a commit touching
    5 changes on PostgreSQL vs on SQLite, alternating, in the same run."""
    if ctx.size != POSTGRES_SIZE and not ctx.args.sizes_given:
        log(f"[{ctx.label}] postgres: skipped (runs at {size_label(POSTGRES_SIZE)}; name other sizes"
            " with --sizes to measure it there)")
        return []
    sqlite_db = ctx.state_db
    try:
        with pg_server.PrivateServer() as server:
            return pg_rows(ctx, server, sqlite_db)
    except pg_server.ServerError as e:
        raise BenchError(str(e)) from None


def sqlite_changes(ctx, db):
    return sorted(change_key(c) for c in
                  ctx.tool_output("list", "--repo", ctx.repo, "--all", "--json", db=db)["changes"])


def pg_rows(ctx, server, sqlite_db):
    ctx.reconcile(sqlite_db)  # settle: the SQLite database at HEAD, the reference for both checks
    expected = sqlite_changes(ctx, sqlite_db)
    data = pg_copy_data(ctx)
    runs = min(3, ctx.runs)
    floors, totals, recs = [], [], []
    for i in range(1, runs + 1):
        seconds, stored = pg_copy_floor(server, "copyfloor", data)
        if stored != ctx.facts["files"]:
            raise BenchError(f"the COPY floor stored {stored} files, corpus has {ctx.facts['files']}")
        floors.append(seconds)
        url = server.fresh_database("import")
        t_init = pg_tool(ctx, url, "init", "--repo", ctx.repo)
        t_rec = pg_tool(ctx, url, "reconcile", "--repo", ctx.repo)
        totals.append(t_init + t_rec)
        recs.append(t_rec)
        ctx.progress("postgres import", i, runs, floor=floors[-1], init=t_init, reconcile=t_rec)
    got = pg_changes(ctx, url)
    if got != expected:
        raise BenchError(f"PostgreSQL holds {len(got)} changes after the import, SQLite {len(expected)}"
                         f" (first differences: {sorted(set(got) ^ set(expected))[:5]})")
    pg_commit, sqlite_commit = [], []
    for i in range(1, ctx.runs + 1):
        ctx.edit_and_commit(5, f"postgres-commit-{i}")
        pair = [("pg", lambda: pg_tool(ctx, url, "reconcile", "--repo", ctx.repo)),
                ("sqlite", lambda: ctx.reconcile(sqlite_db)[0])]
        times = dict((name, fn()) for name, fn in (pair if i % 2 else pair[::-1]))
        pg_commit.append(times["pg"])
        sqlite_commit.append(times["sqlite"])
        ctx.progress("postgres commit", i, ctx.runs, postgres=times["pg"], sqlite=times["sqlite"])
    got, expected = pg_changes(ctx, url), sqlite_changes(ctx, sqlite_db)
    if got != expected:
        raise BenchError(f"PostgreSQL and SQLite disagree after the commits ({len(got)} and {len(expected)} changes,"
                         f" first differences: {sorted(set(got) ^ set(expected))[:3]})")
    common = dict(size=ctx.size, family="postgres", unit="s")
    return [
        Row(key="postgres.import", figure="PostgreSQL: first import (init + reconcile)", samples=totals,
            floor_name=FLOOR_PG_COPY_NAME, floor_samples=floors, target=Target(3.0), **common),
        Row(key="postgres.import.reconcile", figure="PostgreSQL: first import, reconcile alone", samples=recs,
            floor_name=FLOOR_PG_COPY_NAME, floor_samples=floors, **common),
        Row(key="postgres.commit", figure="PostgreSQL: reconcile after a commit touching 5 changes",
            samples=pg_commit, floor_name="the same on SQLite", floor_samples=sqlite_commit,
            target=Target(2.0), **common),
    ]


# --------------------------------------------------------------------------
# Report


def project_path(path):
    """A path as shown in reports: relative to the project root, never absolute."""
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return rel if not rel.startswith("..") else os.path.basename(path)


def machine_facts(args):
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.split(":")[0].strip() in ("model name", "Model", "Hardware"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    sqlite_v = capture(["sqlite3", "--version"])
    commit = capture(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT)
    if commit and capture(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT):
        commit += " + uncommitted changes"
    version = capture([args.binary, "--version"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": nproc,
        "cpu": cpu or platform.processor() or "unknown",
        "memory": mem,
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "filesystem": capture(["stat", "-f", "-c", "%T", args.out]),
        "git": (capture(["git", "--version"]) or "").replace("git version ", "git ") or None,
        "sqlite3": sqlite_v.split()[0] if sqlite_v else None,
        "python": platform.python_version(),
        "rss_probe": "GNU time %M" if GNU_TIME else "wait4 ru_maxrss (upper bound)",
        "binary": project_path(args.binary),
        "binary_version": version.splitlines()[0] if version else None,
        "project_commit": commit,
    }


HEADER = ["Corpus", "Figure", "Median", "Floor (median)", "Ratio", "Target", "Result"]


def markdown(machine, corpora, rows, args):
    m = machine
    lines = [
        "# openspec-sync benchmarks", "",
        f"- Date: {m['date']}",
        f"- Machine: {m['nproc']} CPUs (nproc), {m['cpu']}"
        + (f", {m['memory']} RAM" if m["memory"] else "") + f", {m['os']}",
        f"- Work folder filesystem: {m['filesystem'] or 'unknown'}",
        f"- Tools: {m['git'] or 'git ?'}, sqlite3 {m['sqlite3'] or '?'}, Python {m['python']}",
        f"- Binary: {m['binary']}"
        + (f" ({m['binary_version']})" if m["binary_version"] else "")
        + (f", project commit {m['project_commit']}" if m["project_commit"] else ""),
        f"- Peak RSS measured with {m['rss_probe']}",
        f"- Runs: median of {args.runs} (full import: {min(3, args.runs)}, each on a fresh"
        " database, warm page cache); ratio = median / floor median, floors measured"
        " in the same run",
    ]
    if "daemon" in args.families:
        lines.append(f"- Idle daemon: one window of {args.daemon_seconds:g} s opened {DAEMON_STARTUP} s"
                     f" after start, CPU = utime + stime of all its threads / wall time")
    for size, facts in corpora.items():
        lines.append(f"- Corpus {size_label(size)}: {facts['files']:,} files,"
                     f" {facts['bytes'] / 1e6:.1f} MB, {facts['commits']} commits")
    lines += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    missed = [r for r in rows if r.status == "MISSED"]
    failed = [r for r in rows if r.status == "FAILED"]
    lines.append("")
    if missed:
        lines.append(f"**MISSED: {len(missed)} target(s)**: "
                     + "; ".join(f"{size_label(r.size)} {r.figure}" for r in missed))
    if failed:
        lines.append(f"**FAILED: {len(failed)} figure(s) did not run** (details on stderr"
                     " and in results.json):")
        for r in failed:
            last = (r.error or "").strip().splitlines()[-1].strip()
            lines.append(f"- {size_label(r.size)}, {r.figure}: {last}")
    if not missed and not failed:
        lines.append("All targets met.")
    return "\n".join(lines) + "\n"


def write_results(args, machine, corpora, rows):
    md = markdown(machine, corpora, rows, args)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    doc = {
        "machine": machine,
        "args": {"binary": project_path(args.binary), "sizes": args.sizes,
                 "runs": args.runs, "only": args.only, "daemon_seconds": args.daemon_seconds,
                 "daemon_all_sizes": args.daemon_all_sizes},
        "corpora": {str(k): v for k, v in corpora.items()},
        "rows": [r.to_json() for r in rows],
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return md


# --------------------------------------------------------------------------
# Main


def parse_size(text):
    """2000, 2_000 or 2k -> 2000."""
    t = text.strip().lower().replace("_", "")
    return int(float(t[:-1]) * 1000) if t.endswith("k") else int(t)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "openspec-sync"),
                    help="the openspec-sync executable (default: .build/release/openspec-sync)")
    ap.add_argument("--sizes", default=None,
                    help=f"comma-separated corpus sizes in changes, 2000 or 2k (default {DEFAULT_SIZES})")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per figure (default 5)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out"),
                    help="corpora, scratch copies and results (default: bench-out/)")
    ap.add_argument("--only", default=None,
                    help="comma-separated figure families: " + ", ".join(BENCHMARKS))
    ap.add_argument("--regenerate", action="store_true",
                    help="regenerate the corpora even if cached ones match")
    ap.add_argument("--daemon-seconds", type=float, default=120,
                    help="length of the idle daemon's measuring window (default 120)")
    ap.add_argument("--daemon-all-sizes", action="store_true",
                    help=f"measure the idle daemon at every size, not only {DAEMON_SIZE:,} changes")
    ap.add_argument("--api-seconds", type=float, default=10,
                    help=f"length of each wrk run of the API figures (default 10, at most {API_MAX_SECONDS})")
    ap.add_argument("--api-subscribers", type=int, default=1000,
                    help="event-stream subscribers of the API figures (default 1000)")
    ap.add_argument("--api-parts", default=",".join(API_PARTS),
                    help="comma-separated parts of the API figures to run (default all: "
                         + ", ".join(API_PARTS) + ")")
    ap.add_argument("--browser-python", default=os.path.join(ROOT, ".venv-browser", "bin", "python"),
                    help="the Python with Selenium that runs the dashboard figures (default: .venv-browser/bin/python)")
    a = ap.parse_args(argv)
    a.sizes_given = a.sizes is not None  # `edit` and `api` run beyond 2,000 changes only when asked
    if a.sizes is None:
        a.sizes = DEFAULT_SIZES
    try:
        a.sizes = [parse_size(s) for s in a.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--sizes: not a list of numbers: {a.sizes!r}")
    if not a.sizes or min(a.sizes) < 5:
        ap.error("--sizes: each size must be at least 5 changes")
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    if not 0 < a.api_seconds <= API_MAX_SECONDS:
        ap.error(f"--api-seconds takes more than 0 and at most {API_MAX_SECONDS}")
    if not 1 <= a.api_subscribers <= 10000:
        ap.error("--api-subscribers takes 1 to 10000")
    a.api_parts = [x.strip() for x in a.api_parts.split(",") if x.strip()]
    if not a.api_parts or set(a.api_parts) - set(API_PARTS):
        ap.error(f"--api-parts: choose from {', '.join(API_PARTS)}")
    if a.daemon_seconds <= 0:
        ap.error("--daemon-seconds must be positive")
    families = list(BENCHMARKS)
    if a.only:
        families = [f.strip() for f in a.only.split(",") if f.strip()]
        unknown = [f for f in families if f not in BENCHMARKS]
        if unknown:
            ap.error(f"--only: unknown {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    a.families = [f for f in BENCHMARKS if f in families]
    a.binary_arg = a.binary
    a.binary = os.path.abspath(a.binary)
    a.out = os.path.abspath(a.out)
    return a


def preflight(args):
    problems = []
    if not os.path.isfile(args.binary) or not os.access(args.binary, os.X_OK):
        problems.append(f"no executable at {args.binary_arg}"
                        " (build it: swift build -c release, or pass --binary)")
    for tool in ("git", "sqlite3"):
        if shutil.which(tool) is None:
            problems.append(f"`{tool}` is not on PATH")
    if shutil.which("sqlite3") and capture(
            ["sqlite3", ":memory:", "SELECT count(*) >= 0 FROM fsdir('.')"]) != "1":
        problems.append("this sqlite3 has no fsdir() (the sqlite3 command-line shell has it)")
    if problems:
        raise BenchError("cannot start:\n" + "\n".join("  - " + p for p in problems))


def main(argv=None):
    global GNU_TIME
    args = parse_args(argv)
    started = time.perf_counter()
    GNU_TIME = gnu_time()
    if GNU_TIME is None:
        log("bench: GNU time not found (Debian: apt-get install time); peak RSS will be"
            " an upper bound that includes the harness's own memory")
    try:
        preflight(args)
        os.makedirs(args.out, exist_ok=True)
        machine = machine_facts(args)
    except BenchError as e:
        log(f"bench: {e}")
        return 1

    corpora, rows, failures = {}, [], 0
    for size in args.sizes:
        try:
            corpus, facts = ensure_corpus(args.out, size, args.regenerate)
        except BenchError as e:
            log(f"bench: [{size_label(size)}] corpus generation failed: {e}")
            failures += 1
            for name in args.families:
                rows.append(Row(size=size, family=name, key=name, figure=BENCHMARKS[name][0],
                                unit="s", samples=[], error=str(e)))
            continue
        corpora[size] = facts
        ctx = Context(args, size, corpus, facts)
        for name in args.families:
            title, fn = BENCHMARKS[name]
            t0 = time.perf_counter()
            try:
                new_rows = fn(ctx)
            except BenchError as e:
                failures += 1
                log(f"bench: [{ctx.label}] {title}: FAILED\n{indent(str(e))}")
                rows.append(Row(size=size, family=name, key=name, figure=title,
                                unit="s", samples=[], error=str(e)))
                continue
            rows.extend(new_rows)
            for r in new_rows:
                if r.error:  # a figure that measured something but also failed a check
                    failures += 1
                    log(f"bench: [{ctx.label}] {r.figure}: FAILED\n{indent(r.error)}")
            log(f"[{ctx.label}] {title}: done in {time.perf_counter() - t0:.1f} s")
        write_results(args, machine, corpora, rows)  # partial results survive a later crash

    md = write_results(args, machine, corpora, rows)
    print(md, end="")
    log(f"bench: finished in {time.perf_counter() - started:.0f} s; results in "
        f"{os.path.join(args.out, 'results.md')} and results.json")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("bench: interrupted")
        sys.exit(130)
