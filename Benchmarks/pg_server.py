"""A private PostgreSQL server for the `postgres` benchmark family.

Started the way the tests start theirs: `initdb` and `pg_ctl` in a new
folder under /tmp, listening on a Unix socket in that folder only (no TCP
port); as root, its programs run as the `postgres` user (PostgreSQL refuses
root). Unlike the tests' server it keeps PostgreSQL's default durability
settings (fsync, synchronous_commit, full_page_writes): the figures are for a
server as it is run. Standard library only.
"""
import os
import shutil
import subprocess
import tempfile

PG_ROOT = "/usr/lib/postgresql"
SUPERUSER = "postgres"


def bin_folder():
    """The newest installed PostgreSQL's bin folder (Debian's layout), or None."""
    try:
        versions = sorted((int(v) for v in os.listdir(PG_ROOT) if v.isdigit()), reverse=True)
    except OSError:
        return None
    for v in versions:
        folder = os.path.join(PG_ROOT, str(v), "bin")
        if all(os.access(os.path.join(folder, p), os.X_OK) for p in ("initdb", "pg_ctl", "psql")):
            return folder
    return None


class ServerError(Exception):
    """The server could not be started or a statement failed."""


class PrivateServer:
    """Use as a context manager: stopped and its folder removed on exit."""

    def __init__(self):
        self.bin = bin_folder()
        if self.bin is None:
            raise ServerError("PostgreSQL's programs (initdb, pg_ctl, psql) are not installed; `make deps` installs them")
        self.as_root = os.geteuid() == 0
        # Under /tmp, not TMPDIR: a socket's path must stay short, and every
        # folder above it open to the postgres user.
        self.folder = tempfile.mkdtemp(prefix="openspec-bench-pg-", dir="/tmp")
        self.data = os.path.join(self.folder, "data")
        self.started = False

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _server_cmd(self, program, *args):
        cmd = [os.path.join(self.bin, program), *args]
        return ["/usr/sbin/runuser", "-u", SUPERUSER, "--", *cmd] if self.as_root else cmd

    def _checked(self, cmd, what):
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise ServerError(f"{what} exited {r.returncode}: {(r.stderr or r.stdout).strip()[-2000:]}")
        return r.stdout

    def _start(self):
        if self.as_root:
            shutil.chown(self.folder, SUPERUSER, SUPERUSER)
        self._checked(self._server_cmd("initdb", "-D", self.data, "-U", SUPERUSER, "-A", "trust",
                                       "-E", "UTF8", "--locale=C.UTF-8"), "initdb")
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.folder}'"
        self._checked(self._server_cmd("pg_ctl", "-D", self.data, "-l", os.path.join(self.folder, "server.log"),
                                       "-w", "-t", "60", "-o", options, "start"), "pg_ctl start")
        self.started = True

    def close(self):
        if self.started:
            subprocess.run(self._server_cmd("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def psql_cmd(self, db, *args):
        """psql on database db as the superuser, quiet, failing on the first error."""
        return [os.path.join(self.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-h", self.folder, "-U", SUPERUSER, "-d", db, *args]

    def psql(self, db, sql):
        """stdout of one statement (unaligned, tuples only), stripped."""
        return self._checked(self.psql_cmd(db, "-A", "-t", "-c", sql), f"psql -c {sql!r}").strip()

    def fresh_database(self, name):
        """Drops and creates database name; returns its URL for --database-url."""
        self.psql("postgres", f"DROP DATABASE IF EXISTS {name}")
        self.psql("postgres", f"CREATE DATABASE {name}")
        return f"postgres://{SUPERUSER}@/{name}?host={self.folder}"
