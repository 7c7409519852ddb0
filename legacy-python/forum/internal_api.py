"""Legacy's own internal endpoints, for the TypeScript side: POST /_internal/legacy/sessions/resolve
answers whose session a cookie value is (strangler_identity's endpoint, the contract of docs/identity.md), and
POST /_internal/legacy/threads/views counts a batch of views of many threads at once (the threads table
is legacy's; the TS thread page writes its views behind, in batches). The front doors never route /_internal; here every request
must also carry `Authorization: Bearer <STRANGLER_INTERNAL_TOKEN>`, compared in constant time.
Without a configured token these endpoints do not exist (404).
"""
import os
import re

import strangler_identity

from . import sessions, store
from .db import utc_now
from .params import MAX_ID, parse_id
from .web import HTTPError, Response, bad_request, json_response, not_found


def routes(router):
    router.add("/_internal/legacy/sessions/resolve", POST=resolve_session)
    router.add("/_internal/legacy/threads/views", POST=count_views)


def resolve_session(forum, request):
    """{"token": cookie value} -> {"session": {"user_id", "expires_at"}} or {"session": null}."""
    status, headers, body = strangler_identity.resolve_response(
        request.environ, lambda token: sessions.live_session(forum.db.read(), token), _expected_token())
    # The helper's own headers, minus the Content-Type and Content-Length the Response adds itself.
    kept = [(name, value) for name, value in headers if name not in ("Content-Type", "Content-Length")]
    return Response(int(status.split()[0]), body, dict(headers)["Content-Type"], kept)


def count_views(forum, request):
    """{"batch": id, "counts": {"<thread id>": n, ...}} -> {"batch", "applied", "missing": [thread ids not found]}.

    Every count in one transaction, with the batch id: a batch sent again (its answer was lost) is not
    counted twice and answers "applied": false. Batch ids are kept for BATCH_MEMORY_DAYS."""
    _check_token(request)
    batch, counts = _views_batch(request.json_object())
    with forum.db.write() as conn:
        if store.view_batch_seen(conn, batch):
            return json_response({"batch": batch, "applied": False, "missing": []})
        missing = store.count_views(conn, counts)
        store.remember_view_batch(conn, batch, utc_now(), BATCH_MEMORY_DAYS)
    return json_response({"batch": batch, "applied": True, "missing": missing})


BATCH_MEMORY_DAYS = 7
MAX_BATCH_THREADS = 10000
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_THREAD_ID = re.compile(r"[1-9][0-9]{0,15}")


def _views_batch(body):
    """(batch id, {thread id: count}) from the body, or a 400 that names the field."""
    batch, counts = body.get("batch"), body.get("counts")
    if not isinstance(batch, str) or not _BATCH_ID.fullmatch(batch):
        raise bad_request("batch must be 1 to 64 characters of A-Z a-z 0-9 _ -")
    if not isinstance(counts, dict) or len(counts) > MAX_BATCH_THREADS:
        raise bad_request(f"counts must be an object of at most {MAX_BATCH_THREADS} thread ids, e.g. {{\"12\": 3}}")
    parsed = {}
    for key, value in counts.items():
        if not _THREAD_ID.fullmatch(key) or int(key) > MAX_ID:
            raise bad_request(f"counts: {key!r} is not a thread id (a positive integer)")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise bad_request(f"counts[{key!r}] must be a positive integer")
        parsed[int(key)] = value
    return batch, parsed


def _expected_token():
    return os.environ.get(strangler_identity.TOKEN_VARIABLE, "")


def _check_token(request):
    expected = _expected_token()
    if len(expected.encode()) < strangler_identity.MIN_TOKEN_BYTES:
        raise HTTPError(404, "not_found", "no API endpoint at this path")
    if not strangler_identity.bearer_matches(request.environ.get("HTTP_AUTHORIZATION", ""), expected):
        raise HTTPError(401, "unauthorized", "missing or wrong bearer token", [("WWW-Authenticate", "Bearer")])
