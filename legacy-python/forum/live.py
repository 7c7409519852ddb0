"""Live updates: GET /live/t/<id> streams each new post of a thread as a server-sent event."""
import time

from strangler_client import request_context

from . import store
from .params import parse_id
from .web import HTTPError, Response, json_bytes, not_found

def routes(router):
    router.add("/live/t/<id>", GET=thread_events)


def thread_events(forum, request, id):
    thread_id = parse_id(id, "thread")
    conn = forum.db.read()
    if store.find_thread(conn, thread_id) is None:
        raise not_found(f"thread {thread_id} does not exist")
    last_id = request.environ.get("HTTP_LAST_EVENT_ID", "")
    after = int(last_id) if last_id.isascii() and last_id.isdigit() and len(last_id) < 17 else store.last_post_id(conn, thread_id)
    headers = [("Cache-Control", "no-store"), ("X-Accel-Buffering", "no")]
    return Response(200, _events(forum, thread_id, after, request.request_id), "text/event-stream; charset=utf-8", headers)


def _events(forum, thread_id, after, request_id):
    yield b": connected\n\n"
    started = last_sent = time.monotonic()
    while time.monotonic() - started < forum.live_max_seconds:
        time.sleep(min(forum.live_poll_seconds, max(0.0, forum.live_max_seconds - (time.monotonic() - started))))
        try:
            # The stream runs after the handler returned, outside the request's context: name it again.
            with request_context(request_id):
                posts = forum.moved.fill_authors(*store.posts_after(forum.db.read(), thread_id, after))
        except HTTPError:
            # The names cannot be looked up right now (already logged); end the stream and let the
            # browser reconnect with Last-Event-ID rather than send posts without their authors.
            return
        for post in posts:
            after = post["id"]
            yield b"event: post\nid: %d\ndata: " % after + json_bytes(post) + b"\n\n"
        if posts:
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= forum.live_keepalive_seconds:
            last_sent = time.monotonic()
            yield b": keepalive\n\n"
