"""Legacy's own internal endpoints, for the TypeScript side: POST /_internal/legacy/sessions/resolve
answers whose session a cookie value is. The front doors never route /_internal; here every request
must also carry `Authorization: Bearer <STRANGLER_INTERNAL_TOKEN>`, compared in constant time.
Without a configured token these endpoints do not exist (404).
"""
import hashlib
import hmac
import os

from . import sessions
from .web import HTTPError, json_response

MIN_TOKEN_BYTES = 32


def routes(router):
    router.add("/_internal/legacy/sessions/resolve", POST=resolve_session)


def resolve_session(forum, request):
    """{"token": cookie value} -> {"session": {"user_id", "expires_at"}} or {"session": null}."""
    _check_token(request)
    if request.content_type != "application/json":
        raise HTTPError(415, "unsupported_media_type", "the request body must be JSON sent with Content-Type: application/json")
    fields = request.json_object()
    token = fields.get("token")
    if not isinstance(token, str) or not token or len(token) > 200:
        raise HTTPError(400, "bad_request", "token: must be the session cookie's value, 1 to 200 characters")
    return json_response({"session": sessions.live_session(forum.db.read(), token)})


def _check_token(request):
    expected = os.environ.get("STRANGLER_INTERNAL_TOKEN", "")
    if len(expected.encode()) < MIN_TOKEN_BYTES:
        raise HTTPError(404, "not_found", "no API endpoint at this path")
    header = request.environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, presented = header.partition(" ")
    # Hash both sides so neither the comparison nor the lengths say anything about the secret.
    matches = hmac.compare_digest(hashlib.sha256(expected.encode()).digest(),
                                  hashlib.sha256(presented.strip().encode("utf-8", "replace")).digest())
    if scheme.lower() != "bearer" or not matches:
        raise HTTPError(401, "unauthorized", "missing or wrong bearer token", [("WWW-Authenticate", "Bearer")])
