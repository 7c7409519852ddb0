"""JSON-lines logging on stdout: one object per line, `time`, `level`, `service`, `event` first."""
import json
import os
import sys
import threading
from datetime import datetime, timezone

LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40}
_lock = threading.Lock()


def _threshold():
    return LEVELS.get(os.environ.get("LOG_LEVEL", "info").lower(), LEVELS["info"])


def log(level, event, **fields):
    """Write one JSON line, e.g. log("info", "listening", url="http://127.0.0.1:8090")."""
    # The listening line is how supervisors learn the port (0 = any free port): never filtered out.
    if LEVELS[level] < _threshold() and event != "listening":
        return
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record = {"time": now, "level": level, "service": "legacy", "event": event}
    record.update((key, value) for key, value in fields.items() if value is not None)
    line = json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str)
    with _lock:
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            _stop_logging()


def _stop_logging():
    """Nobody reads standard output any more (the parent is gone): drop this line and every later one.

    Without this, the broken pipe would end a SIGTERM's clean stop with a traceback, and the interpreter's
    last flush at exit would fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
