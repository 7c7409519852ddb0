"""One login on both sides of a Strangler migration, for any WSGI app (Flask, Django, plain WSGI).

The TS server asks the app whose session a cookie is, and the app tells the TS server about every logout
(the contract: docs/identity.md). Mount the endpoint with the app's own session lookup:

    import strangler_identity

    def lookup(cookie_value):                  # -> a JSON-able dict for a live session, or None
        row = db.execute("SELECT user_id FROM sessions WHERE id = ?", (cookie_value,)).fetchone()
        return {"user_id": row[0]} if row else None

    app.wsgi_app = strangler_identity.IdentityMiddleware(app.wsgi_app, lookup)   # Flask
    application = strangler_identity.IdentityMiddleware(get_wsgi_application(), lookup)   # Django

and on logout, after the session is gone:

    strangler_identity.notify_logout(cookie_value)

The endpoint needs `Authorization: Bearer <STRANGLER_INTERNAL_TOKEN>` (compared in constant time);
without a token of at least 32 bytes it does not exist (404). Standard library only; it needs
strangler_client.py (its neighbour) only for notify_logout.
"""
import hashlib
import hmac
import json
import logging
import os
import threading

RESOLVE_PATH = "/_internal/legacy/sessions/resolve"
FORGET_PATH = "/_internal/v1/sessions/"
TOKEN_VARIABLE = "STRANGLER_INTERNAL_TOKEN"
MIN_TOKEN_BYTES = 32
MAX_COOKIE_CHARS = 4096
MAX_BODY_BYTES = 16 * 1024
JSON_TYPE = "application/json; charset=utf-8"

_log = logging.getLogger("strangler_identity")
_STATUS = {200: "200 OK", 400: "400 Bad Request", 401: "401 Unauthorized", 404: "404 Not Found",
           405: "405 Method Not Allowed", 413: "413 Content Too Large", 415: "415 Unsupported Media Type",
           500: "500 Internal Server Error"}


class _Refused(Exception):
    def __init__(self, status, code, message, headers=()):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, list(headers)


class IdentityMiddleware:
    """WSGI middleware: answers POST `path` with `{"session": lookup(cookie) or None}`, passes the rest on.

    lookup(cookie_value) returns a dict (JSON-able; the TS side reads it, e.g. {"user_id": 1}) or None.
    token defaults to STRANGLER_INTERNAL_TOKEN, read once here.
    """

    def __init__(self, app, lookup, *, token=None, path=RESOLVE_PATH, environ=os.environ):
        if not callable(lookup):
            raise TypeError("lookup must be a function taking the session cookie's value and returning a dict or None")
        if not path.startswith("/_internal/"):
            raise ValueError(f"path must be under /_internal/, which no front door routes, got {path!r}")
        self.app, self.lookup, self.path = app, lookup, path
        self.token = environ.get(TOKEN_VARIABLE, "") if token is None else token

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != self.path:
            return self.app(environ, start_response)
        status, headers, body = resolve_response(environ, self.lookup, self.token)
        start_response(status, headers)
        return [body]


def resolve_response(environ, lookup, token):
    """The endpoint itself, for an app that routes requests its own way: (status line, headers, body bytes)."""
    try:
        session = _resolve(environ, lookup, token)
    except _Refused as refused:
        return _json(refused.status, {"error": {"code": refused.code, "message": refused.message}}, refused.headers)
    return _json(200, {"session": session})


def token_sha256(cookie_value):
    """How both sides name a session without handling the secret: the sha256 hex of the cookie value."""
    return hashlib.sha256(cookie_value.encode("utf-8")).hexdigest()


def bearer_matches(authorization, token):
    """True when an Authorization header is `Bearer <token>`, compared in constant time."""
    scheme, _, presented = authorization.partition(" ")
    # Hash both sides so neither the comparison nor the lengths say anything about the secret.
    matches = hmac.compare_digest(hashlib.sha256(token.encode("utf-8")).digest(),
                                  hashlib.sha256(presented.strip().encode("utf-8", "replace")).digest())
    return scheme.lower() == "bearer" and matches


def notify_logout(cookie_value, client=None, *, forget_path=FORGET_PATH, on_error=None):
    """Tell the TS server this session ended, so its cache forgets it at once. True when it was told.

    A failure costs only the TS cache's few seconds, so it is not raised: it goes to on_error(exc) (a
    strangler_client.InternalError), or is logged as a warning. client: a strangler_client.InternalClient
    (default: one from STRANGLER_INTERNAL_URL and STRANGLER_INTERNAL_TOKEN, made on first use).
    """
    import strangler_client

    if not cookie_value:
        return False
    try:
        (client or _default_client()).delete(forget_path + token_sha256(cookie_value))
    except strangler_client.InternalError as exc:
        if on_error is None:
            _log.warning("could not tell the TS server about a logout (%s); it may recognise the session a few more seconds", exc)
        else:
            on_error(exc)
        return False
    return True


_client_lock = threading.Lock()
_client = None


def _default_client():
    global _client
    with _client_lock:
        if _client is None:
            import strangler_client
            _client = strangler_client.InternalClient.from_env()
        return _client


def _resolve(environ, lookup, token):
    if len(token.encode("utf-8")) < MIN_TOKEN_BYTES:
        raise _Refused(404, "not_found", "no internal endpoint at this path")
    if environ.get("REQUEST_METHOD", "").upper() != "POST":
        raise _Refused(405, "method_not_allowed", "only POST is allowed here", [("Allow", "POST")])
    if not bearer_matches(environ.get("HTTP_AUTHORIZATION", ""), token):
        raise _Refused(401, "unauthorized", "missing or wrong bearer token", [("WWW-Authenticate", "Bearer")])
    if environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() != "application/json":
        raise _Refused(415, "unsupported_media_type", "the request body must be JSON sent with Content-Type: application/json")
    cookie_value = _cookie_value(_read_json(environ))
    try:
        session = lookup(cookie_value)
    except Exception:
        _log.exception("the session lookup raised")
        raise _Refused(500, "internal", "the app's session lookup failed; its log has the traceback") from None
    if session is not None and not isinstance(session, dict):
        raise _Refused(500, "internal", f"the app's session lookup returned {type(session).__name__}; it must return a dict or None")
    return session


def _read_json(environ):
    length = environ.get("CONTENT_LENGTH") or ""
    if not length.isdigit():
        raise _Refused(400, "bad_request", "send the body with a Content-Length")
    if int(length) > MAX_BODY_BYTES:
        raise _Refused(413, "too_large", f"the body must be at most {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(environ["wsgi.input"].read(int(length)).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "bad_request", 'the body must be JSON: {"token": "<the session cookie\'s value>"}') from None


def _cookie_value(fields):
    token = fields.get("token") if isinstance(fields, dict) else None
    if not isinstance(token, str) or not 1 <= len(token) <= MAX_COOKIE_CHARS:
        raise _Refused(400, "bad_request", f"token: must be the session cookie's value, 1 to {MAX_COOKIE_CHARS} characters")
    return token


def _json(status, payload, headers=()):
    try:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        _log.error("the session lookup returned what JSON cannot hold: %s", exc)
        return _json(500, {"error": {"code": "internal", "message": "the app's session lookup returned a value JSON cannot hold"}})
    return _STATUS[status], [("Content-Type", JSON_TYPE), ("Cache-Control", "no-store"),
                             ("Content-Length", str(len(body))), *headers], body
