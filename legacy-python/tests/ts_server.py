"""The real TS server for the client's tests: a tiny seed in a temp directory, both listeners on port 0, a
fresh token, cheap password hashes. `server = TsServer.start()` ... `server.stop()`."""
import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

LEGACY_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = LEGACY_DIR.parent
START_SECONDS = 30


class TsServer:
    def __init__(self, process, directory, listening, token):
        self.process, self.directory, self.token = process, directory, token
        self.internal_url, self.url = listening["internal_url"], listening["url"]
        self.output = []  # the server's lines after "listening" (pino JSON), for failing tests to show

    @classmethod
    def start(cls, log_level="warn"):
        directory = tempfile.mkdtemp(prefix="strangler-client-")
        db = os.path.join(directory, "forum.db")
        env = {**os.environ, "FORUM_PBKDF2_ITERATIONS": "1000"}
        subprocess.run([sys.executable, "seed.py", "--db", db, "--size", "tiny"], cwd=LEGACY_DIR, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        token = secrets.token_hex(32)
        # STRANGLER_PARENT_PID: the server stops by itself if this test process dies without stopping it.
        env.update(TS_PORT="0", INTERNAL_PORT="0", STRANGLER_SERVICES="services/index.ts", STRANGLER_INTERNAL_TOKEN=token, FORUM_DB=db,
                   LOG_LEVEL=log_level, STRANGLER_PARENT_PID=str(os.getpid()))
        process = subprocess.Popen(["node", "--import", "tsx", "gateway/server/main.ts"], cwd=REPO_ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in process.stdout] + [lines.put(None)],
                         daemon=True).start()
        seen = []
        while True:
            try:
                line = lines.get(timeout=START_SECONDS)
            except queue.Empty:
                line = None
            if line is None:
                process.kill()
                shutil.rmtree(directory, True)
                raise RuntimeError("the TS server did not start (has `npm ci` run?):\n" + "".join(seen[-30:]))
            seen.append(line)
            if '"listening"' in line:
                break
        server = cls(process, directory, json.loads(line), token)
        threading.Thread(target=server._collect, args=(lines,), daemon=True).start()
        return server

    def _collect(self, lines):
        for line in iter(lines.get, None):
            self.output.append(line)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, True)
