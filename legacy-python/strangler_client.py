"""Stdlib client for the TS server's internal endpoints (`/_internal/...`, docs/internal-api.md): kept-alive
connections shared safely by threads, a timeout on every call, retries for idempotent calls only, one typed
exception per kind of failure, and the current request id passed on as `X-Request-Id`.

    client = InternalClient.from_env()  # STRANGLER_INTERNAL_URL, STRANGLER_INTERNAL_TOKEN
    with request_context(incoming_request_id, budget=20.0):
        user = client.get(internal_path("v1", "users", 1))["user"]

Inside a request context with a budget, the calls made while answering share that request's deadline: each
call may wait as long as the request has left (a busy machine makes calls slow, not failed), and an answer
`503` with `Retry-After` is tried again after the time it names while the budget allows.

One module of standard library code, so it drops into any codebase whatever its dependencies.
"""
import contextlib
import contextvars
import http.client
import json
import os
import random
import re
import secrets
import socket
import threading
import time
from collections import namedtuple
from urllib.parse import quote, urlencode, urlsplit

DEFAULT_URL = "http://127.0.0.1:8082"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})
# The TS server closes idle keep-alive connections after 65 s; dropping ours well before that means we
# almost never send on a socket the server is closing at that very moment.
MAX_IDLE_SECONDS = 30.0
# The server's own rule: a request id it does not accept is replaced, so we mint one it will keep.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f-\U0010ffff]")
# A server that says when to come back (Retry-After) is asked again at most this many times per call.
MAX_BUSY_RETRIES = 50
# Never wait for a Retry-After longer than this, whatever the server says.
MAX_RETRY_AFTER_SECONDS = 5.0
_request_id = contextvars.ContextVar("strangler_request_id", default=None)
_deadline = contextvars.ContextVar("strangler_deadline", default=None)

Response = namedtuple("Response", "status headers body request_id")
Response.__doc__ = "One answer: status, headers (case-insensitive .get), parsed JSON body (None for 204), request id."


def set_request_id(request_id):
    """Make request_id the one passed on by calls in this context; returns a token for reset_request_id."""
    return _request_id.set(request_id)


def reset_request_id(token):
    _request_id.reset(token)


def current_request_id():
    return _request_id.get()


def remaining_budget():
    """Seconds left before the current context's deadline, or None when it has no budget."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


@contextlib.contextmanager
def request_context(request_id, budget=None):
    """`with request_context(rid, budget=20.0):` every call inside passes rid on and, when budget (seconds)
    is given, ends by that deadline whatever its own timeout (per thread, per asyncio task)."""
    token = _request_id.set(request_id)
    deadline_token = _deadline.set(None if budget is None else time.monotonic() + budget)
    try:
        yield request_id
    finally:
        _deadline.reset(deadline_token)
        _request_id.reset(token)


def internal_path(*segments, **params):
    """internal_path("v1", "users", "by-username", name) -> "/_internal/v1/users/by-username/<quoted name>"."""
    return "/_internal/" + "/".join(quote(str(segment), safe="") for segment in segments) + _query(params)


def _query(params):
    return "?" + urlencode(params, quote_via=quote, safe=",") if params else ""


class InternalError(Exception):
    """Any failed call. status: HTTP status or None; code: the server's error code or a client-side one;
    message: the server's message (or what happened); call: "POST /_internal/v1/users"; request_id."""
    hint = "See the TS server's log under this request id"

    def __init__(self, message, *, call, status=None, code=None, request_id=None, hint=None):
        super().__init__(message)
        self.message, self.call, self.status, self.code, self.request_id = message, call, status, code, request_id
        self.hint = hint or self.hint

    def __str__(self):
        answer = f"answered {self.status} {self.code or ''}".rstrip() + ": " if self.status else ""
        return f"{self.call} failed: {answer}{self.message}. {self.hint}. (request id {self.request_id})".replace("\n", " ")


class Unavailable(InternalError):
    hint = "Is the TS server up at STRANGLER_INTERNAL_URL? Try again in a moment"


class Timeout(Unavailable):
    hint = "The TS server is slow or stuck: try again later, or give the request a larger budget"


class BadRequest(InternalError):
    hint = "Fix what the message names in the calling code, or show the message to the user"


class Conflict(BadRequest):
    hint = "The row exists already: choose another value"


class NotFound(InternalError):
    hint = "No such row (or endpoint): check the id or the path"


class Unauthorized(InternalError):
    hint = ("STRANGLER_INTERNAL_TOKEN differs between this process and the TS server: "
            "give both sides the same value")


class ServerError(InternalError):
    hint = "A fault on the TS side: its log has the details under this request id"


class ProtocolError(InternalError):
    hint = "That is not how the TS server answers: does STRANGLER_INTERNAL_URL point at its internal listener?"


_ERRORS_BY_STATUS = {401: Unauthorized, 404: NotFound, 409: Conflict, 500: ServerError}
_NOT_JSON = object()


class _Connection(http.client.HTTPConnection):
    def __init__(self, host, port, on_connect):
        super().__init__(host, port)
        self._on_connect = on_connect

    def connect(self):
        super().connect()
        self._on_connect()


def _is_dropped(sock):
    """True when the server has closed (or written to) an idle kept-alive socket: an idle socket that is
    readable holds either EOF or bytes nobody asked for, and must not carry a request."""
    try:
        sock.settimeout(0)
        sock.recv(1, socket.MSG_PEEK)
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True


class _Pool:
    """Idle connections, LIFO (the most recently used is the most likely alive); a connection belongs to
    one thread from acquire to release. Connections idle past MAX_IDLE_SECONDS are closed by a timer even
    when no call comes: after a burst of load the process goes back to the sockets it had before."""

    def __init__(self, host, port, max_idle, on_connect):
        self.host, self.port, self.max_idle, self.on_connect = host, port, max_idle, on_connect
        self.idle, self.closed, self._lock, self._pid = [], False, threading.Lock(), os.getpid()
        self._reaper = None

    def acquire(self, timeout, fresh=False):
        """(connection, reused): a live idle connection unless fresh, else a new unconnected one."""
        stale = []
        with self._lock:
            if self.closed:
                raise RuntimeError("InternalClient is closed")
            if self._pid != os.getpid():  # forked: the parent's sockets and timer are not ours to use
                self.idle, self._pid, self._reaper = [], os.getpid(), None
            now = time.monotonic()
            while self.idle and now - self.idle[0][1] > MAX_IDLE_SECONDS:
                stale.append(self.idle.pop(0)[0])
            found = None
            while self.idle and not fresh:
                conn = self.idle.pop()[0]
                if _is_dropped(conn.sock):
                    stale.append(conn)
                else:
                    found = conn
                    break
        for conn in stale:
            conn.close()
        conn = found or _Connection(self.host, self.port, self.on_connect)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn, found is not None

    def release(self, conn):
        with self._lock:
            if not self.closed and len(self.idle) < self.max_idle and conn.sock is not None:
                self.idle.append((conn, time.monotonic()))
                self._schedule_reap()
                return
        conn.close()

    def close(self):
        with self._lock:
            self.closed, idle, self.idle = True, self.idle, []
            reaper, self._reaper = self._reaper, None
        if reaper is not None:
            reaper.cancel()
        for conn, _ in idle:
            conn.close()

    def _schedule_reap(self, delay=None):
        # Called with the lock held; one timer at a time, started only while something is idle.
        if self._reaper is None:
            self._reaper = threading.Timer(MAX_IDLE_SECONDS if delay is None else delay, self._reap)
            self._reaper.daemon = True
            self._reaper.start()

    def _reap(self):
        with self._lock:
            self._reaper = None
            if self.closed or self._pid != os.getpid():
                return
            now, stale = time.monotonic(), []
            while self.idle and now - self.idle[0][1] >= MAX_IDLE_SECONDS:
                stale.append(self.idle.pop(0)[0])
            if self.idle:  # again when the oldest of those left turns stale
                self._schedule_reap(max(MAX_IDLE_SECONDS - (now - self.idle[0][1]), 0.01))
        for conn in stale:
            conn.close()


class _Failed(Exception):
    """One attempt's failure: the typed error, and whether the request can have reached the server whole."""

    def __init__(self, error, sent, reused):
        self.error, self.sent, self.reused = error, sent, reused


class InternalClient:
    """One per base URL; thread-safe. Calls return parsed JSON or raise an InternalError subclass.

    timeout: seconds for connecting and for each wait for data (per call: timeout=), used outside a
    request_context with a budget; inside one, the request's remaining budget is the call's timeout.
    retries: extra attempts for idempotent calls (GET/HEAD/PUT/DELETE, or idempotent=True) after a failed
    connection, a timeout or a 502/503/504, waiting backoff, then twice that, with +-20% jitter. A 503 or
    429 with Retry-After means the server did nothing and asks to be called later: any call is tried
    again after that delay while the deadline allows (the budget, or timeout outside one). max_idle:
    idle connections kept.
    """

    def __init__(self, base_url, token, *, timeout=2.0, retries=2, backoff=0.05, max_idle=16):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/") or parts.query:
            raise ValueError(f"the internal URL must look like http://host:port, got {base_url!r}")
        if not token:
            raise ValueError("no internal token: pass the TS server's STRANGLER_INTERNAL_TOKEN")
        self.base_url = f"http://{parts.netloc}"
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self._auth = f"Bearer {token}"
        self._lock = threading.Lock()
        self._stats = {"connections_opened": 0, "requests": 0, "retries": 0}
        self._pool = _Pool(parts.hostname, parts.port or 80, max_idle, lambda: self._count("connections_opened"))

    @classmethod
    def from_env(cls, environ=os.environ, **options):
        """From STRANGLER_INTERNAL_URL (default http://127.0.0.1:8082) and STRANGLER_INTERNAL_TOKEN."""
        token = environ.get("STRANGLER_INTERNAL_TOKEN", "").strip()
        if not token:
            raise ValueError("STRANGLER_INTERNAL_TOKEN is not set: set it to the same value the TS server has "
                             "(npm start hands one to both sides)")
        return cls(environ.get("STRANGLER_INTERNAL_URL") or DEFAULT_URL, token, **options)

    def get(self, path, params=None, **options):
        return self.request("GET", path, params=params, **options).body

    def post(self, path, body, idempotent=False, **options):
        return self.request("POST", path, body, idempotent=idempotent, **options).body

    def delete(self, path, **options):
        return self.request("DELETE", path, **options).body

    def request(self, method, path, body=None, *, params=None, idempotent=None, timeout=None, request_id=None):
        """One call with its retries; returns a Response. body is JSON-encoded (UTF-8) when not None."""
        if not path.startswith("/_internal/") or _UNSENDABLE.search(path):
            raise ValueError(f"internal paths start with /_internal/ and have their segments quoted "
                             f"(internal_path does it), got {path!r}")
        method = method.upper()
        url = path + _query(params)
        rid = next((r for r in (request_id, _request_id.get()) if r and _REQUEST_ID.fullmatch(r)), None)
        rid = rid or secrets.token_hex(16)
        headers = {"Authorization": self._auth, "Accept": "application/json", "X-Request-Id": rid}
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        budget = remaining_budget()
        if timeout is None:
            timeout = self.timeout if budget is None else budget
        elif budget is not None:
            timeout = min(timeout, budget)
        # Retry-After is honoured until this moment: the request's deadline, or one timeout from now.
        deadline = time.monotonic() + (timeout if budget is None else budget)
        call, attempt, busy, fresh, resent = f"{method} {path}", 0, 0, False, False
        if timeout <= 0:
            raise Timeout("the request's budget was spent before this call could be made", call=call,
                          code="timeout", request_id=rid)
        while True:
            self._count("requests")
            try:
                return self._attempt(method, url, payload, headers, timeout, fresh, call, rid)
            except _Failed as failed:
                error, wait = failed.error, _retry_after(failed.error)
                left = deadline - time.monotonic() if budget is not None else timeout
                # A request that failed while being sent on a reused connection never reached the server
                # whole, so it cannot have taken effect: resending it once is safe for any method. Once it
                # is sent, only an idempotent call may be repeated: a lost answer may hide a done write.
                # A server that answers "busy, come back in n s" has done nothing, so any call may return.
                if left > 0 and failed.reused and not failed.sent and not resent:
                    resent, wait = True, 0
                elif left > 0 and wait is not None and busy < MAX_BUSY_RETRIES and time.monotonic() + wait < deadline:
                    busy += 1
                elif (left > 0 and idempotent and isinstance(error, Unavailable) and attempt < self.retries
                      and wait is None):
                    attempt += 1
                    wait = self.backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
                else:
                    if attempt or busy:
                        error.message += f" ({attempt + busy + 1} attempts)"
                    elif isinstance(error, Unavailable) and error.status is None and failed.sent and not idempotent:
                        error.message += " (not repeated: the call is not idempotent and may have taken effect)"
                    raise error from failed.__cause__
                time.sleep(wait)
                if budget is not None:
                    timeout = max(min(timeout, deadline - time.monotonic()), 0.001)
                fresh = error.status is None  # after a broken connection, do not trust the idle ones
                self._count("retries")

    def stats(self):
        """{"connections_opened", "requests" (attempts sent), "retries", "idle"}: to watch reuse."""
        with self._lock:
            return dict(self._stats, idle=len(self._pool.idle))

    def close(self):
        """Close the idle connections; those in use close when their call ends. Calls after this fail."""
        self._pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _count(self, key):
        with self._lock:
            self._stats[key] += 1

    def _attempt(self, method, url, payload, headers, timeout, fresh, call, rid):
        conn, reused = self._pool.acquire(timeout, fresh)
        sent = False
        try:
            conn.request(method, url, body=payload, headers=headers)
            sent = True
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise _Failed(self._transport_error(exc, call, rid, timeout), sent, reused) from exc
        except BaseException:
            conn.close()
            raise
        if response.will_close:
            conn.close()
        else:
            self._pool.release(conn)
        rid = response.getheader("X-Request-Id") or rid
        answer = Response(response.status, response.headers, _parse(method, response, data, call, rid), rid)
        if answer.status in RETRY_STATUSES or answer.status == 429:
            busy = answer.status in (429, 503)
            answer.body.retry_after = _seconds(response.getheader("Retry-After")) if busy else None
            raise _Failed(answer.body, True, reused)
        return answer

    def _transport_error(self, exc, call, rid, timeout):
        where = self.base_url
        if isinstance(exc, (socket.timeout, TimeoutError)):
            return Timeout(f"no answer from {where} within {timeout:.3g} s", call=call, code="timeout", request_id=rid)
        if isinstance(exc, OSError):  # refused, reset, closed without an answer (RemoteDisconnected)
            return Unavailable(f"the connection to {where} failed: {exc.__class__.__name__}: {exc}", call=call,
                               code="unreachable", request_id=rid)
        # http.client.HTTPException: a bad status line, a truncated body
        return ProtocolError(f"{where} sent a broken answer: {exc!r:.120}", call=call, code="bad_answer", request_id=rid)


def _seconds(value):
    """A Retry-After given in seconds, jittered by +-20% so that callers told the same delay do not all
    return at once, and capped at MAX_RETRY_AFTER_SECONDS; None for an absent or HTTP-date value."""
    if value is None or not value.strip().isdigit():
        return None
    return min(int(value.strip()), MAX_RETRY_AFTER_SECONDS) * random.uniform(0.8, 1.2)


def _retry_after(error):
    return getattr(error, "retry_after", None)


def _parse(method, response, data, call, rid):
    """The parsed body of a 2xx answer; for any other status the InternalError it means (returned for
    502/503/504, which the caller may retry; raised otherwise)."""
    status, content_type = response.status, (response.getheader("Content-Type") or "").lower()
    is_json = content_type.split(";")[0].strip() == "application/json"
    snippet = data[:120].decode("utf-8", "replace")
    try:
        parsed = json.loads(data.decode("utf-8")) if is_json else _NOT_JSON
    except ValueError:
        parsed = _NOT_JSON
    if 200 <= status < 300:
        if status == 204 or method == "HEAD":
            return None
        if parsed is _NOT_JSON:
            what = "a body that is not JSON" if is_json else f"Content-Type {content_type or 'none'}"
            raise ProtocolError(f"answered {status} with {what}: {snippet!r}", call=call, code="bad_answer",
                                request_id=rid)
        return parsed
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        code, message = error.get("code"), error["message"]
    else:
        code, message = None, f"(no JSON error body: {snippet!r})"
    if status in RETRY_STATUSES or status == 429:
        return Unavailable(message, call=call, status=status, code=code, request_id=rid)
    if 400 <= status < 600:
        kind = _ERRORS_BY_STATUS.get(status, BadRequest if status < 500 else ServerError)
        raise kind(message, call=call, status=status, code=code, request_id=rid)
    raise ProtocolError(f"unexpected status {status}: {snippet!r}", call=call, status=status, code="bad_answer",
                        request_id=rid)
