"""HTML form posts and the login page. Every POST checks the csrf field against the forum_csrf cookie
(double submit) and answers with a 303 redirect."""
from html import escape
from urllib.parse import quote

from . import sessions, store
from .api import MAX_BODY_CHARS, MAX_TITLE_CHARS
from .db import utc_now
from .params import page_count, parse_id
from .templates import Markup, fragment, page
from .web import HTTPError, invalid, not_found, redirect


def login_page(forum, request, message="", status=200):
    user = sessions.current_user(forum, request.cookies.get(sessions.SESSION_COOKIE))
    csrf, headers = _form_csrf(request)
    content = fragment("login", message=_notice(message), csrf=csrf, next=_local_path(request.query.get("next", "/")))
    return page("Log in", content, user, csrf, status, headers)


def register_page(forum, request, message="", status=200):
    csrf, headers = _form_csrf(request)
    return page("Create an account", fragment("register", message=_notice(message), csrf=csrf), None, csrf, status,
                headers)


def _form_csrf(request):
    """(csrf token for the form, Set-Cookie headers): the visitor's token, or a new one set as a cookie."""
    csrf = request.cookies.get(sessions.CSRF_COOKIE)
    if csrf:
        return csrf, []
    csrf = sessions.new_csrf()
    return csrf, [sessions.csrf_cookie(csrf)]


def _notice(message):
    return Markup(f'<p class="error">{escape(message)}</p>' if message else "")


def register(forum, request):
    form = _checked_form(request)
    try:
        user = forum.moved.register(form.get("username", "")[:100], form.get("password", "")[:1000])
    except HTTPError as error:
        if error.status not in (409, 422):
            raise
        return register_page(forum, request, error.message, error.status)
    token, csrf = sessions.start(forum.db, user["id"])
    return redirect("/", sessions.login_cookies(token, csrf))


def login(forum, request):
    form = _checked_form(request)
    user = forum.moved.verify(form.get("username", "")[:100], form.get("password", "")[:1000])
    if user is None:
        request.query = {"next": form.get("next", "/")}
        return login_page(forum, request, "wrong username or password", 401)
    token, csrf = sessions.start(forum.db, user["id"])
    return redirect(_local_path(form.get("next", "/")), sessions.login_cookies(token, csrf))


def logout(forum, request):
    _checked_form(request)
    sessions.end(forum, request.cookies.get(sessions.SESSION_COOKIE))
    return redirect("/", sessions.logout_cookies())


def new_thread(forum, request, slug):
    form = _checked_form(request)
    user = _require_user(forum, request)
    board = store.find_board(forum.db.read(), slug)
    if board is None:
        raise not_found(f"board '{slug}' does not exist")
    title = form.get("title", "").strip()
    if not 1 <= len(title) <= MAX_TITLE_CHARS:
        raise invalid(f"title must be 1 to {MAX_TITLE_CHARS} characters after trimming")
    body = _body(form)
    body_html = forum.moved.render(body)
    with forum.db.write() as conn:
        thread_id, _ = store.insert_thread(conn, board["id"], user["id"], title, body, body_html, utc_now())
    forum.moved.changed({"kind": "thread", "thread": thread_id, "board": board["slug"]})
    return redirect(f"/t/{thread_id}")


def reply(forum, request, id):
    thread_id = parse_id(id, "thread")
    form = _checked_form(request)
    user = _require_user(forum, request)
    thread = store.find_thread(forum.db.read(), thread_id)
    if thread is None:
        raise not_found(f"thread {thread_id} does not exist")
    body = _body(form)
    body_html = forum.moved.render(body)
    with forum.db.write() as conn:
        post_id = store.insert_post(conn, thread_id, user["id"], body, body_html, utc_now())
        total = conn.execute("SELECT post_count FROM threads WHERE id = ?", (thread_id,)).fetchone()[0]
    forum.moved.changed({"kind": "post", "thread": thread_id, "board": thread["board"]})
    return redirect(f"/t/{thread_id}?page={page_count(total, 50)}#p{post_id}")


def _checked_form(request):
    form = request.form()
    if not sessions.csrf_matches(request.cookies.get(sessions.CSRF_COOKIE), form.get("csrf")):
        raise HTTPError(403, "forbidden", "The form expired or came from another site; reload the page and try again.")
    return form


def _require_user(forum, request):
    user = sessions.current_user(forum, request.cookies.get(sessions.SESSION_COOKIE))
    if user is None:
        raise HTTPError(401, "unauthorized", "log in first")
    return user


def _body(form):
    body = form.get("body", "").replace("\r\n", "\n")
    if not body.strip() or len(body) > MAX_BODY_CHARS:
        raise invalid(f"body must be 1 to {MAX_BODY_CHARS} characters and not blank")
    return body


def _local_path(target):
    """Only paths on this site are redirect targets: "/x" yes, "//evil.example" or "http://..." no."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return quote(target, safe="/?=&#%")
