"""JSON API v1, exactly as docs/forum-api.md writes it.

Checks run in this order: path ids (400), Content-Type of a POST (403), login (401), JSON body (400),
the row named by the path (404), then the fields (422).
"""
from . import sessions, store
from .db import utc_now
from .params import page_count, parse_id, parse_paging
from .web import HTTPError, invalid, json_response, not_found

MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 20000


def routes(router):
    router.add("/api/v1/boards", GET=list_boards)
    router.add("/api/v1/boards/<slug>/threads", GET=list_threads, POST=create_thread)
    router.add("/api/v1/threads/<id>", GET=show_thread)
    router.add("/api/v1/threads/<id>/posts", POST=create_post)
    router.add("/api/v1/login", POST=login)
    router.add("/api/v1/logout", POST=logout)
    router.add("/api/v1/me", GET=me)
    router.add("/api/v1/users", POST=register)


def list_boards(forum, request):
    return json_response({"boards": store.list_boards(forum.db.read())})


def list_threads(forum, request, slug):
    page, per_page = parse_paging(request.query, 20, 100)
    conn = forum.db.read()
    board = _board(conn, slug)
    total, threads = store.board_threads(conn, board["id"], page, per_page)
    forum.moved.fill_authors(*threads)
    return json_response({"board": board, "threads": threads, "page": page, "per_page": per_page,
                          "total": total, "pages": page_count(total, per_page)})


def show_thread(forum, request, id):
    thread_id = parse_id(id, "thread")
    page, per_page = parse_paging(request.query, 50, 200)
    conn = forum.db.read()
    thread = _thread(conn, thread_id)
    total, posts = store.thread_posts(conn, thread_id, page, per_page)
    forum.moved.fill_authors(thread, *posts)
    return json_response({"thread": thread, "posts": posts, "page": page, "per_page": per_page,
                          "total": total, "pages": page_count(total, per_page)})


def create_thread(forum, request, slug):
    _require_json(request)
    user = _require_user(forum, request)
    fields = request.json_object()
    board = _board(forum.db.read(), slug)
    title = _text(fields, "title", None).strip()
    if not 1 <= len(title) <= MAX_TITLE_CHARS:
        raise invalid(f"title must be 1 to {MAX_TITLE_CHARS} characters after trimming")
    body = _body(fields)
    body_html = forum.moved.render(body)
    with forum.db.write() as conn:
        thread_id, post_id = store.insert_thread(conn, board["id"], user["id"], title, body, body_html, utc_now())
        thread, post = store.find_thread(conn, thread_id), store.find_post(conn, post_id)
    forum.moved.changed({"kind": "thread", "thread": thread_id, "board": board["slug"]})
    for record in (thread, post):
        record["author"]["username"] = user["username"]
    return json_response({"thread": thread, "post": post}, status=201)


def create_post(forum, request, id):
    thread_id = parse_id(id, "thread")
    _require_json(request)
    user = _require_user(forum, request)
    fields = request.json_object()
    thread = _thread(forum.db.read(), thread_id)
    body = _body(fields)
    body_html = forum.moved.render(body)
    with forum.db.write() as conn:
        post = store.find_post(conn, store.insert_post(conn, thread_id, user["id"], body, body_html, utc_now()))
    forum.moved.changed({"kind": "post", "thread": thread_id, "board": thread["board"]})
    post["author"]["username"] = user["username"]
    return json_response({"post": post}, status=201)


def login(forum, request):
    _require_json(request)
    fields = request.json_object()
    username, password = _text(fields, "username", 100), _text(fields, "password", 1000)
    user = forum.moved.verify(username, password)
    if user is None:
        raise HTTPError(401, "unauthorized", "wrong username or password")
    token, csrf = sessions.start(forum.db, user["id"])
    return json_response({"user": {"id": user["id"], "username": user["username"]}},
                         headers=sessions.login_cookies(token, csrf))


def logout(forum, request):
    _require_json(request)
    sessions.end(forum, request.cookies.get(sessions.SESSION_COOKIE))
    return json_response({"ok": True}, headers=sessions.logout_cookies())


def register(forum, request):
    """POST /api/v1/users {"username", "password"}: 201, the new user, logged in (cookies set)."""
    _require_json(request)
    fields = request.json_object()
    username, password = _text(fields, "username", 100), _text(fields, "password", 1000)
    user = forum.moved.register(username, password)
    token, csrf = sessions.start(forum.db, user["id"])
    return json_response({"user": user}, status=201, headers=sessions.login_cookies(token, csrf))


def me(forum, request):
    return json_response({"user": _require_user(forum, request)})


def _require_json(request):
    # The API's CSRF defence: a cross-site HTML form cannot send this Content-Type.
    if request.content_type != "application/json":
        raise HTTPError(403, "forbidden", "send the request body as JSON with Content-Type: application/json")


def _require_user(forum, request):
    user = sessions.current_user(forum, request.cookies.get(sessions.SESSION_COOKIE))
    if user is None:
        raise HTTPError(401, "unauthorized", "log in first")
    return user


def _board(conn, slug):
    board = store.find_board(conn, slug)
    if board is None:
        raise not_found(f"board '{slug}' does not exist")
    return board


def _thread(conn, thread_id):
    thread = store.find_thread(conn, thread_id)
    if thread is None:
        raise not_found(f"thread {thread_id} does not exist")
    return thread


def _text(fields, name, max_chars):
    value = fields.get(name)
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string")
    if max_chars is not None and len(value) > max_chars:
        raise invalid(f"{name} must be at most {max_chars} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(f"{name} must be valid Unicode text (no lone surrogates)") from None
    if "\x00" in value:
        raise invalid(f"{name} must not contain NUL characters (\\u0000); remove them")
    return value


def _body(fields):
    body = _text(fields, "body", MAX_BODY_CHARS)
    if not body.strip():
        raise invalid(f"body must be 1 to {MAX_BODY_CHARS} characters and not blank")
    return body
