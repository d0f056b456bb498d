#!/usr/bin/env python3
"""Generate a synthetic OpenSpec git repository for the openspec-sync benchmarks.

Layout produced (relative to --out):

    openspec/changes/change-0001/proposal.md   (~--proposal-bytes)
    openspec/changes/change-0001/tasks.md      (--tasks-lines checkbox lines)
    openspec/changes/change-0001/design.md     (~--design-bytes)
    ...

History produced:

    commit 1            : "initial import" of all changes
    commits 2..N+1      : --commits edit commits, each touching about
                          --changes-per-commit distinct changes (task checkbox
                          toggles, a proposal paragraph edit, a design note).
    optional            : --archive-every K moves one change per K-th edit
                          commit to openspec/changes/archive/<date>-<id>
                          (a rename, as `openspec archive` does).

Everything is derived from --seed and fixed commit dates, so two runs with
the same arguments give byte-identical trees and identical commit ids.
Standard library only; needs `git` on PATH.

Generation speed: objects are written without fsync and automatic gc is
switched off (the repository keeps `gc.auto = 0`, so later benchmark commits
never start a background gc either). `--pack` repacks all objects into one
pack at the end, the state of a freshly cloned or gc'd repository; commit ids
are the same with or without it.

Usage (from the project root):

    python3 Benchmarks/gen_corpus.py --out bench-out/corpus          # defaults
    python3 Benchmarks/gen_corpus.py --out small --changes 50 --commits 5
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import time

WORDS = (
    "sync reconcile spec change proposal task design database sqlite index "
    "commit hook merge branch conflict resolve filesystem snapshot backup "
    "atomic rename fsync journal audit history rollback scan watcher diff "
    "status api client server cache queue batch schema migration field "
    "record table column markdown parser render validate checkbox archive "
    "capability requirement scenario given when then shall must should user "
    "operator project folder path identifier version revision delta review"
).split()

# Identity and isolation for every git command the generator runs: no user or
# system configuration can change the objects written.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "corpus", "GIT_AUTHOR_EMAIL": "corpus@example.invalid",
    "GIT_COMMITTER_NAME": "corpus", "GIT_COMMITTER_EMAIL": "corpus@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}

# Speed only; none of these change an object id.
GIT_FAST = ["-c", "core.fsync=none", "-c", "core.fsyncObjectFiles=false",
            "-c", "gc.auto=0", "-c", "maintenance.auto=false"]

T0 = 1_700_000_000  # first commit date; commit n is T0 + n hours


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def para(rng, approx_bytes):
    out = []
    size = 0
    while size < approx_bytes:
        s = words(rng, rng.randint(8, 16)).capitalize() + "."
        out.append(s)
        size += len(s) + 1
    return " ".join(out)


def proposal_md(rng, cid, target):
    head = f"# Change: {words(rng, 4).title()} ({cid})\n\n## Why\n"
    what = "\n## What Changes\n" + "".join(
        f"- {words(rng, rng.randint(5, 10))}\n" for _ in range(5)
    )
    impact = (
        "\n## Impact\n"
        f"- Affected specs: {rng.choice(WORDS)}-{rng.choice(WORDS)}\n"
        f"- Affected code: Sources/{rng.choice(WORDS).title()}/\n"
    )
    why_len = max(200, target - len(head) - len(what) - len(impact) - 2)
    return head + para(rng, why_len) + "\n" + what + impact


def tasks_md(rng, lines):
    out = ["## 1. Implementation\n"]
    for i in range(1, lines + 1):
        box = "x" if rng.random() < 0.3 else " "
        out.append(f"- [{box}] 1.{i} {words(rng, rng.randint(4, 9)).capitalize()}\n")
    return "".join(out)


def design_md(rng, target):
    head = "## Context\n"
    dec = "\n## Decisions\n" + "".join(
        f"- Decision: {words(rng, rng.randint(6, 10))}\n" for _ in range(3)
    )
    risks = "\n## Risks / Trade-offs\n" + f"- {words(rng, 8)}\n"
    body = para(rng, max(150, target - len(head) - len(dec) - len(risks) - 2))
    return head + body + "\n" + dec + risks


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def toggle_checkboxes(rng, tasks_path):
    """Toggle 1-3 checkboxes of a tasks.md, as an edit commit does."""
    lines = read(tasks_path).splitlines(keepends=True)
    box_lines = [i for i, l in enumerate(lines) if l.startswith("- [")]
    for i in rng.sample(box_lines, min(len(box_lines), rng.randint(1, 3))):
        l = lines[i]
        lines[i] = (l.replace("- [ ]", "- [x]", 1) if l.startswith("- [ ]")
                    else l.replace("- [x]", "- [ ]", 1))
    write(tasks_path, "".join(lines))


def append_proposal_paragraph(rng, proposal_path):
    """Append a ~120-byte paragraph to a proposal.md, as an edit commit does."""
    write(proposal_path, read(proposal_path) + f"\n{para(rng, 120)}\n")


def git(repo, *args, env=None):
    r = subprocess.run(["git", *GIT_FAST, "-C", repo, *args], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"git {' '.join(args)} failed ({r.returncode}):\n{r.stderr.strip()}")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder to create (must not exist unless --force)")
    ap.add_argument("--changes", type=int, default=2000, help="number of change folders (default 2000)")
    ap.add_argument("--commits", type=int, default=50, help="edit commits after the initial import (default 50)")
    ap.add_argument("--changes-per-commit", type=int, default=5, help="changes touched per edit commit (default 5)")
    ap.add_argument("--proposal-bytes", type=int, default=1500, help="approx proposal.md size (default 1500)")
    ap.add_argument("--tasks-lines", type=int, default=20, help="checkbox lines in tasks.md (default 20)")
    ap.add_argument("--design-bytes", type=int, default=1000, help="approx design.md size (default 1000)")
    ap.add_argument("--archive-every", type=int, default=0,
                    help="every K-th edit commit also archives (renames) one change; 0 = never (default)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pack", action="store_true",
                    help="repack all objects into one pack at the end (same commit ids)")
    ap.add_argument("--force", action="store_true", help="delete --out first if it exists")
    ap.add_argument("--quiet", action="store_true", help="print nothing on success")
    return ap.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    if a.changes < 1 or a.commits < 0 or a.changes_per_commit < 0:
        sys.exit("--changes must be >= 1, --commits and --changes-per-commit >= 0")
    started = time.perf_counter()

    if os.path.lexists(a.out):
        if not a.force:
            sys.exit(f"{a.out} exists; use --force to replace it")
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    repo = a.out
    rng = random.Random(a.seed)
    width = max(4, len(str(a.changes)))
    ids = [f"change-{i:0{width}d}" for i in range(1, a.changes + 1)]
    base = os.path.join(repo, "openspec", "changes")

    for cid in ids:
        d = os.path.join(base, cid)
        write(os.path.join(d, "proposal.md"), proposal_md(rng, cid, a.proposal_bytes))
        write(os.path.join(d, "tasks.md"), tasks_md(rng, a.tasks_lines))
        write(os.path.join(d, "design.md"), design_md(rng, a.design_bytes))

    env = dict(os.environ)
    env.update(GIT_ENV)

    def commit(msg, n, paths=("openspec",)):
        # `add -A` on just the folders an edit touched stages exactly what
        # `add -A openspec` would (nothing else changed), without statting
        # every file of a large corpus on each commit.
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{T0 + n * 3600} +0000"
        git(repo, "add", "-A", "--", *paths, env=env)
        git(repo, "commit", "-q", "--no-verify", "-m", msg, env=env)

    git(repo, "init", "-q", "-b", "main", env=env)
    # Kept in the repository: no background gc in later benchmark commits.
    git(repo, "config", "gc.auto", "0", env=env)
    git(repo, "config", "maintenance.auto", "false", env=env)
    commit(f"initial import of {a.changes} changes", 0)

    live = list(ids)
    for n in range(1, a.commits + 1):
        touched = rng.sample(live, min(a.changes_per_commit, len(live)))
        for cid in touched:
            d = os.path.join(base, cid)
            toggle_checkboxes(rng, os.path.join(d, "tasks.md"))
            r = rng.random()
            if r < 0.5:
                append_proposal_paragraph(rng, os.path.join(d, "proposal.md"))
            elif r < 0.8:
                dp = os.path.join(d, "design.md")
                write(dp, read(dp) + f"- Note {n}: {words(rng, 8)}\n")
        msg = f"edit {n}: " + ", ".join(touched)
        paths = [os.path.join("openspec", "changes", cid) for cid in touched]
        if a.archive_every and n % a.archive_every == 0 and live:
            victim = rng.choice([c for c in live if c not in touched] or live)
            live.remove(victim)
            dst = os.path.join(base, "archive", f"2024-01-{(n % 28) + 1:02d}-{victim}")
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.rename(os.path.join(base, victim), dst)
            msg += f"; archive {victim}"
            paths += [os.path.join("openspec", "changes", victim),
                      os.path.relpath(dst, repo)]
        commit(msg, n, paths)

    if a.pack:
        git(repo, "repack", "-a", "-d", "-q", env=env)
        git(repo, "prune-packed", env=env)

    if not a.quiet:
        total = sum(len(fs) for _, _, fs in os.walk(os.path.join(repo, "openspec")))
        print(f"{repo}: {len(live)} live changes, {total} files, {a.commits + 1} commits"
              f" ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
