"""wrk and nginx for the API figures of bench.py.

`wrk` drives the load (its C event loop saturates a server where Python
threads cannot); nginx, started here on a free loopback port with a
throwaway configuration, serves the same response bytes as a static file:
the floor a read's throughput is compared with, measured with the same wrk
command in the same run. Both come from Debian (`make bench-deps`).
"""
import dataclasses
import os
import re
import shutil
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOGGLE_SCRIPT = os.path.join(HERE, "wrk", "toggle_tasks.lua")
NGINX_STARTUP = 10  # seconds for nginx to accept connections


class LoadError(Exception):
    """wrk or nginx could not run, or said something unexpected."""


def free_port():
    """A loopback port free now (the caller binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_nginx():
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None)


def missing_tools():
    """The Debian packages the API figures need that are not installed."""
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk")
    if find_nginx() is None:
        missing.append("nginx")
    return missing


NGINX_CONF = """\
daemon off;
master_process on;
worker_processes {workers};
{user}pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ }}
    default_type application/json;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{port};
        root {prefix}/www;
    }}
}}
"""


class StaticFloor:
    """nginx serving files (URL path -> bytes) from a folder of its own;
    the query string is ignored, so the server's URL works unchanged."""

    def __init__(self, prefix, files, workers):
        self.prefix = prefix
        self.files = files
        self.workers = workers
        self.process = None
        self.port = None

    def start(self):
        nginx = find_nginx()
        if nginx is None:
            raise LoadError("nginx is not installed (make bench-deps installs it from Debian)")
        if os.path.exists(self.prefix):
            shutil.rmtree(self.prefix)
        for path, body in self.files.items():
            target = os.path.join(self.prefix, "www", path.lstrip("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(body)
        self.port = free_port()
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(prefix=self.prefix, port=self.port, workers=self.workers,
                                      user="user root;\n" if os.geteuid() == 0 else ""))
        # -e: the error log before the configuration is read (not /var/log/nginx).
        cmd = [nginx, "-p", self.prefix, "-c", conf, "-e", os.path.join(self.prefix, "error.log")]
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)
        self._wait_until_serving(cmd)
        return self.port

    def _wait_until_serving(self, cmd):
        deadline = time.monotonic() + NGINX_STARTUP
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        try:
            with open(os.path.join(self.prefix, "error.log"), errors="replace") as f:
                tail = f.read()[-2000:]
        except OSError:
            tail = "(no error log)"
        raise LoadError(f"`{' '.join(cmd)}` did not serve within {NGINX_STARTUP} s:\n{tail}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown, workers too
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclasses.dataclass
class WrkResult:
    rate: float          # requests per second
    p50: float           # seconds
    p99: float           # seconds
    requests: int
    errors: list         # socket errors, non-2xx replies, timeouts
    output: str          # wrk's whole stdout (the Lua script's lines too)


UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise LoadError(f"wrk printed a latency I cannot read: {text!r}")
    return float(m.group(1)) * UNIT_SECONDS[m.group(2)]


def parse_wrk(out):
    """Requests/sec, the 50 % and 99 % latencies (--latency) and the errors of wrk's report."""
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    total = re.search(r"^\s+(\d+) requests in ", out, re.M)
    if not (rate and p50 and p99 and total):
        raise LoadError("wrk's report lacks Requests/sec or the latency distribution:\n" + out[-2000:])
    errors = []
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors and any(int(x) for x in socket_errors.groups()):
        errors.append(socket_errors.group(0))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        errors.append(non_2xx.group(0))
    return WrkResult(rate=float(rate.group(1)), p50=parse_duration(p50.group(1)),
                     p99=parse_duration(p99.group(1)), requests=int(total.group(1)),
                     errors=errors, output=out)


def run_wrk(url, *, threads, connections, seconds, script=None, script_args=(), timeout_s=None):
    """`wrk -t -c -d --latency url` (with a Lua script and its arguments): its parsed report."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    if script_args:
        cmd += ["--", *script_args]
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout_s or seconds + 120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise LoadError(f"`{' '.join(cmd)}` failed: {e}") from None
    if r.returncode != 0:
        raise LoadError(f"`{' '.join(cmd)}` failed (exit status {r.returncode}):\n{r.stderr[-2000:]}")
    result = parse_wrk(r.stdout)
    if r.stderr.strip():
        result.errors.append(r.stderr.strip()[:600])
    return result
