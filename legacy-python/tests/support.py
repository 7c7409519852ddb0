"""Shared test fixtures: a seeded SQLite file, the real TS server the forum calls for users and markdown,
and a WSGI client through wsgiref.validate.

The TS server is started once per test run (node --import tsx gateway/server/main.ts, so `npm ci` must
have run) on one database file; each ForumTestCase restores that file to the tiny seed before it runs.
"""
import atexit
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path
from io import BytesIO
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

# Hashing cost would dominate the tests; the format keeps the count, so verification follows suit.
os.environ["FORUM_PBKDF2_ITERATIONS"] = "1000"

from forum.app import create_app  # noqa: E402
from seed import seed  # noqa: E402

_TEMPLATE_DIR = tempfile.mkdtemp(prefix="forum-template-")
_TEMPLATE_DB = os.path.join(_TEMPLATE_DIR, "tiny.db")
atexit.register(shutil.rmtree, _TEMPLATE_DIR, True)
seed(_TEMPLATE_DB, "tiny")


REPO_ROOT = Path(__file__).resolve().parents[2]
_shared = {}


def internal_server():
    """The real TS server on the shared database: {"url", "internal_url", "token", "db", "output"}. Starting
    it also points this process (and the servers it spawns) at it through the environment."""
    if _shared:
        return _shared
    db = os.path.join(_TEMPLATE_DIR, "shared.db")
    shutil.copyfile(_TEMPLATE_DB, db)
    token = secrets.token_hex(32)
    # STRANGLER_PARENT_PID: the server stops by itself if this test process dies without stopping it.
    env = {**os.environ, "TS_PORT": "0", "INTERNAL_PORT": "0", "STRANGLER_SERVICES": "services/index.ts", "STRANGLER_INTERNAL_TOKEN": token, "FORUM_DB": db,
           "LOG_LEVEL": os.environ.get("TS_LOG_LEVEL", "info"), "STRANGLER_PARENT_PID": str(os.getpid())}
    try:
        process = subprocess.Popen(["node", "--import", "tsx", "gateway/server/main.ts"], cwd=REPO_ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except FileNotFoundError:
        raise RuntimeError("the forum's tests need the TS server: install Node.js and run `npm ci` in the repository root")
    atexit.register(_stop, process)
    output = []
    for line in process.stdout:
        output.append(line)
        if '"listening"' in line:
            listening = json.loads(line)
            break
    else:
        raise RuntimeError("the TS server did not start (did `npm ci` run?):\n" + "".join(output[-30:]))
    threading.Thread(target=lambda: output.extend(process.stdout), daemon=True).start()
    _shared.update(url=listening["url"], internal_url=listening["internal_url"], token=token, db=db, output=output,
                   process=process)
    os.environ["STRANGLER_INTERNAL_URL"] = listening["internal_url"]
    os.environ["STRANGLER_INTERNAL_TOKEN"] = token
    return _shared


def wait_for(condition, what, timeout=10.0):
    """Poll condition() until it is true; fail naming what was awaited after timeout seconds. Tests wait
    for the thing they need (a log line, a closed socket), never for a fixed time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def ts_logged(predicate, timeout=5.0):
    """Whether the TS server writes a log line matching predicate within timeout (lines arrive a moment
    after the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        if any(predicate(line) for line in list(internal_server()["output"])):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def _stop(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def reset_shared_db():
    """Put the shared database back to the tiny seed, in place: the TS server keeps its connection open."""
    path = internal_server()["db"]
    with sqlite3.connect(_TEMPLATE_DB) as source, sqlite3.connect(path, timeout=5) as target:
        source.backup(target)
    return path


def seeded_db(directory):
    """A copy of the tiny seed in directory (seeding once per run keeps the suite fast)."""
    path = os.path.join(directory, "forum.db")
    shutil.copyfile(_TEMPLATE_DB, path)
    return path


class Result:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        values = self.header_all(name)
        return values[0] if values else None

    def header_all(self, name):
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8")


def call(app, method, path, body=b"", headers=None, query=""):
    """Run one request through the app wrapped in wsgiref.validate."""
    environ = {}
    setup_testing_defaults(environ)
    environ.update({"REQUEST_METHOD": method, "PATH_INFO": path.encode("utf-8").decode("latin-1"), "QUERY_STRING": query,
                    "wsgi.input": BytesIO(body), "CONTENT_LENGTH": str(len(body))})
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"], captured["headers"] = int(status.split()[0]), response_headers
        return lambda data: None

    result = validator(app)(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        result.close()
    return Result(captured["status"], captured["headers"], data)


class ForumTestCase(unittest.TestCase):
    """A fresh copy of the tiny seed per test and helpers to talk JSON to the app."""

    def setUp(self):
        self.db_path = reset_shared_db()
        self.app = create_app(self.db_path, live_max_seconds=1.5, live_poll_seconds=0.1)
        self.addCleanup(self.app.close)
        self.cookies = {}

    def request(self, method, path, body=b"", headers=None, query=""):
        headers = dict(headers or {})
        if self.cookies:
            headers.setdefault("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        result = call(self.app, method, path, body, headers, query)
        for cookie in result.header_all("Set-Cookie"):
            name, _, rest = cookie.partition("=")
            value = rest.split(";")[0]
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return result

    def post_json(self, path, value, content_type="application/json"):
        body = value if isinstance(value, bytes) else json.dumps(value).encode()
        return self.request("POST", path, body, {"Content-Type": content_type})

    def login(self, username="alice"):
        result = self.post_json("/api/v1/login", {"username": username, "password": f"{username}-password"})
        self.assertEqual(result.status, 200, result.body)
        return result

    def assertApiError(self, result, status, code, message):
        self.assertEqual(result.status, status, result.body)
        self.assertEqual(result.header("Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(result.body, json.dumps({"error": {"code": code, "message": message}},
                                                 separators=(",", ":"), ensure_ascii=False).encode())
