"""Legacy's own internal endpoints, for the TypeScript side: POST /_internal/legacy/sessions/resolve
answers whose session a cookie value is; POST /_internal/legacy/threads/<id>/views counts a view of a
thread (the threads table is legacy's) for the TS thread page. The front doors never route /_internal; here every request
must also carry `Authorization: Bearer <STRANGLER_INTERNAL_TOKEN>`, compared in constant time.
Without a configured token these endpoints do not exist (404).
"""
import hashlib
import hmac
import os

from . import sessions, store
from .params import parse_id
from .web import HTTPError, json_response, not_found

MIN_TOKEN_BYTES = 32


def routes(router):
    router.add("/_internal/legacy/sessions/resolve", POST=resolve_session)
    router.add("/_internal/legacy/threads/<id>/views", POST=count_view)


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


def count_view(forum, request, id):
    """Count one view of the thread -> {"view_count": n}, the count after it; 404 JSON for no such thread.
    Any request body is ignored."""
    _check_token(request)
    thread_id = parse_id(id, "thread")
    with forum.db.write() as conn:
        view_count = store.count_view(conn, thread_id)
    if view_count is None:
        raise not_found(f"thread {thread_id} does not exist")
    return json_response({"view_count": view_count})


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
