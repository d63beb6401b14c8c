"""gp_serverproc: start goldpath-server on a free port, stop it, read its logs.

The server is started with `--port P --ready-file F`, P a port below 32768
(not --port 0: the kernel would pick one in its ephemeral range, where
TIME_WAIT and outgoing connections collide with test servers) that
free_port() of tests/server_lib.py found free with bind() just before; the
server writes it to F once it listens, so tests never sleep "long enough".
When another process took P between the probe and the server's bind (the
server exits 1, "could not listen"), start() starts it again on another
port.  stop() sends SIGTERM and returns the exit status; check_clean() fails
on sanitizer reports in the server's stderr (the suite also runs in the
ASan/UBSan build).

Each server gets a scratch folder (ready file, stdout, stderr) under the
temporary folder.  Once the process has exited, cleanup() reads the logs
into memory and removes the folder; stop(), kill() and run_to_exit() call
it, and the runners call cleanup_all() after every test for servers a test
left behind (it kills what still runs).  A run leaves nothing in $TMPDIR.
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request


def _server_lib():
    """tests/server_lib.py, imported without leaving a __pycache__ behind."""
    tests_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if tests_dir not in sys.path:
        sys.path.append(tests_dir)  # last: it shadows nothing of ours
    keep, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        import server_lib
    finally:
        sys.dont_write_bytecode = keep
    return server_lib


_lib = _server_lib()
free_port, lost_port = _lib.free_port, _lib.lost_port
START_ATTEMPTS = _lib.START_ATTEMPTS

SECRET = "protocol-test-secret"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 30.0
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer")

_LIVE = []  # servers whose scratch folder still exists


def cleanup_all():
    """Kills every server still running and removes every scratch folder."""
    for srv in list(_LIVE):
        srv.kill()
        srv.cleanup()


class Server:
    def __init__(self, binary, args=(), secret=SECRET, env=None, nofile=None):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="gp-server-")
        self.ready_file = os.path.join(self.dir, "port")
        self.stdout_path = os.path.join(self.dir, "stdout")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.pop("GOLDPATH_JWT_SECRET", None)
        if env:
            self.env.update(env)
        self.secret = secret
        self.nofile = nofile
        self.proc = None
        self.port = None
        self._logs = None  # (stdout, stderr) once the folder is gone
        _LIVE.append(self)

    def cleanup(self):
        """Keeps the logs in memory and removes the scratch folder (the
        process must have exited).  Idempotent."""
        if self._logs is not None:
            return
        assert self.proc is None or self.proc.poll() is not None, "server still running"
        self._logs = (self._read(self.stdout_path), self._read(self.stderr_path))
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in _LIVE:
            _LIVE.remove(self)

    @staticmethod
    def _read(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def command(self, port):
        cmd = [self.binary, "--port", str(port), "--ready-file", self.ready_file]
        if self.secret is not None:
            cmd += ["--jwt-secret", self.secret]
        return cmd + self.args

    def _preexec(self):
        if self.nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    def spawn(self, cmd=None):
        """Starts cmd, or command() on a free port below 32768."""
        if os.path.exists(self.ready_file):
            os.remove(self.ready_file)  # an earlier attempt's
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(
                cmd or self.command(free_port()), env=self.env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=err,
                preexec_fn=self._preexec if self.nofile is not None else None)
        return self.proc

    def start(self):
        for _ in range(START_ATTEMPTS):
            self.spawn()
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                if os.path.exists(self.ready_file):
                    with open(self.ready_file) as f:
                        text = f.read().strip()
                    if text:
                        self.port = int(text)
                        return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.02)
            else:
                self.kill()
                raise AssertionError("server did not write its ready file in time")
            if not lost_port(self.proc.returncode, self.stderr()):
                raise AssertionError(f"server exited with {self.proc.returncode} before "
                                     f"listening:\n{self.stderr()}")
            # another process took the port between the probe and the bind
        raise AssertionError(f"server lost its port {START_ATTEMPTS} times:\n{self.stderr()}")

    def run_to_exit(self, timeout=STOP_TIMEOUT_S):
        """For start-up failures (refused before the server binds): runs the
        command once, on a free port, and returns (code, out, err)."""
        self.spawn()
        try:
            code = self.proc.wait(timeout)
        finally:
            self.kill()
            self.cleanup()
        return code, self.stdout(), self.stderr()

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def http(self, path, method="GET"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def health(self):
        status, headers, body = self.http("/health")
        assert status == 200, (status, body)
        return json.loads(body)

    def wait_health(self, pred, timeout=10.0):
        """Polls /health until pred(websocket figures) holds; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            h = self.health()["websocket"]
            if pred(h):
                return h
            if time.monotonic() > deadline:
                raise AssertionError(f"/health never satisfied the condition: {h}")
            time.sleep(0.05)

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=STOP_TIMEOUT_S):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"server did not exit within {timeout} s") from None

    def stop(self):
        """SIGTERM, then the exit status (and the logs checked for sanitizer
        reports)."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        code = self.wait()
        self.cleanup()
        self.check_clean()
        return code

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.cleanup()

    def stdout(self):
        return self._logs[0] if self._logs is not None else self._read(self.stdout_path)

    def stderr(self):
        return self._logs[1] if self._logs is not None else self._read(self.stderr_path)

    def check_clean(self):
        err = self.stderr()
        for mark in SANITIZER_MARKS:
            assert mark not in err, f"sanitizer report in the server's stderr:\n{err[-6000:]}"

    def log_lines(self, needle):
        return [line for line in self.stderr().splitlines() if needle in line]
