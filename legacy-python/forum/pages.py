"""The forum's HTML pages: boards, a board's threads, a thread's posts."""
from . import sessions, store
from .params import page_count, parse_id, parse_paging
from .templates import Markup, fragment, join, page, pager, url_part
from .web import not_found


def routes(router):
    from . import forms  # the form posts live beside the pages they belong to

    router.add("/", GET=boards_page)
    router.add("/b/<slug>", GET=board_page)
    router.add("/b/<slug>/new", POST=forms.new_thread)
    router.add("/t/<id>", GET=thread_page)
    router.add("/t/<id>/reply", POST=forms.reply)
    router.add("/login", GET=forms.login_page, POST=forms.login)
    router.add("/register", GET=forms.register_page, POST=forms.register)
    router.add("/logout", POST=forms.logout)


def viewer(forum, request):
    """(user or None, csrf token for forms) of the request's session."""
    user = sessions.current_user(forum, request.cookies.get(sessions.SESSION_COOKIE))
    return user, request.cookies.get(sessions.CSRF_COOKIE, "")


def boards_page(forum, request):
    user, csrf = viewer(forum, request)
    rows = [fragment("board_row", slug_url=url_part(b["slug"]), **b) for b in store.list_boards(forum.db.read())]
    return page("Boards", fragment("boards", rows=join(rows)), user, csrf)


def board_page(forum, request, slug):
    page_number, per_page = parse_paging(request.query, 20, 100)
    user, csrf = viewer(forum, request)
    conn = forum.db.read()
    board = store.find_board(conn, slug)
    if board is None:
        raise not_found(f"board '{slug}' does not exist")
    total, threads = store.board_threads(conn, board["id"], page_number, per_page)
    forum.moved.fill_authors(*threads)
    rows = [fragment("thread_row", author=t["author"]["username"], **_without(t, "author")) for t in threads]
    slug_url = url_part(slug)
    form = (fragment("new_thread_form", slug_url=slug_url, csrf=csrf) if user
            else fragment("login_hint", next_url=f"/b/{slug_url}", action="start a thread"))
    content = fragment("board", name=board["name"], description=board["description"], rows=join(rows),
                       pager=pager(f"/b/{slug_url}", page_number, page_count(total, per_page)), form=form)
    return page(board["name"], content, user, csrf)


def thread_page(forum, request, id):
    thread_id = parse_id(id, "thread")
    page_number, per_page = parse_paging(request.query, 50, 200)
    # Viewing counts; HEAD only asks about the page, and a copy the gateway sends to compare answers
    # (X-Strangler-Shadow: 1, which only the gateway can set) is nobody's view.
    if request.method == "GET" and request.environ.get("HTTP_X_STRANGLER_SHADOW", "").strip() != "1":
        with forum.db.write() as conn:
            store.count_view(conn, thread_id)
    user, csrf = viewer(forum, request)
    conn = forum.db.read()
    thread = store.find_thread(conn, thread_id)
    if thread is None:
        raise not_found(f"thread {thread_id} does not exist")
    total, posts = store.thread_posts(conn, thread_id, page_number, per_page)
    forum.moved.fill_authors(*posts)
    rendered = [fragment("post", author=p["author"]["username"], body_html=Markup(p["body_html"]),
                         **_without(p, "author", "body_html")) for p in posts]
    form = (fragment("reply_form", id=thread_id, csrf=csrf) if user
            else fragment("login_hint", next_url=f"/t/{thread_id}", action="reply"))
    content = fragment("thread", board=thread["board"], board_url=url_part(thread["board"]), title=thread["title"],
                       post_count=thread["post_count"], view_count=thread["view_count"],
                       live_url=f"/live/t/{thread_id}", posts=join(rendered),
                       pager=pager(f"/t/{thread_id}", page_number, page_count(total, per_page)), form=form)
    return page(thread["title"], content, user, csrf)


def _without(row, *keys):
    return {key: value for key, value in row.items() if key not in keys}
