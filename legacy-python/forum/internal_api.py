"""Legacy's own internal endpoints, for the TypeScript side: POST /_internal/legacy/sessions/resolve
answers whose session a cookie value is (strangler_identity's endpoint, the contract of docs/identity.md); POST /_internal/legacy/threads/<id>/views counts a view of a
thread (the threads table is legacy's) for the TS thread page. The front doors never route /_internal; here every request
must also carry `Authorization: Bearer <STRANGLER_INTERNAL_TOKEN>`, compared in constant time.
Without a configured token these endpoints do not exist (404).
"""
import os

import strangler_identity

from . import sessions, store
from .params import parse_id
from .web import HTTPError, Response, json_response, not_found


def routes(router):
    router.add("/_internal/legacy/sessions/resolve", POST=resolve_session)
    router.add("/_internal/legacy/threads/<id>/views", POST=count_view)


def resolve_session(forum, request):
    """{"token": cookie value} -> {"session": {"user_id", "expires_at"}} or {"session": null}."""
    status, headers, body = strangler_identity.resolve_response(
        request.environ, lambda token: sessions.live_session(forum.db.read(), token), _expected_token())
    # The helper's own headers, minus the Content-Type and Content-Length the Response adds itself.
    kept = [(name, value) for name, value in headers if name not in ("Content-Type", "Content-Length")]
    return Response(int(status.split()[0]), body, dict(headers)["Content-Type"], kept)


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


def _expected_token():
    return os.environ.get(strangler_identity.TOKEN_VARIABLE, "")


def _check_token(request):
    expected = _expected_token()
    if len(expected.encode()) < strangler_identity.MIN_TOKEN_BYTES:
        raise HTTPError(404, "not_found", "no API endpoint at this path")
    if not strangler_identity.bearer_matches(request.environ.get("HTTP_AUTHORIZATION", ""), expected):
        raise HTTPError(401, "unauthorized", "missing or wrong bearer token", [("WWW-Authenticate", "Bearer")])
