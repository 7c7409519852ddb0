"""A plain WSGI guestbook (stdlib only), served by gunicorn: sign with a form, the name is remembered in a
cookie, see one entry or a 404.

Run it alone: gunicorn --bind 127.0.0.1:8000 app:application
"""
import html
import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

ENTRIES = []  # (name, message), in memory: the example has no database
STATUS = {200: "200 OK", 303: "303 See Other", 400: "400 Bad Request", 404: "404 Not Found", 405: "405 Method Not Allowed"}


def application(environ, start_response):
    body = route(environ, start_response)
    # gunicorn sends whatever the app returns, even to HEAD; the headers (Content-Length too) stay.
    return [] if environ["REQUEST_METHOD"] == "HEAD" else body


def route(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    name = cookie["name"].value if "name" in cookie else ""
    if path == "/healthz":
        return respond(start_response, 200, json.dumps({"ok": True}), "application/json")
    if path == "/" and method in ("GET", "HEAD"):
        items = "".join(f'<li><a href="/entries/{i}">{html.escape(m)}</a> by {html.escape(n)}</li>' for i, (n, m) in enumerate(ENTRIES))
        form = f'<form method="post" action="/sign"><input name="name" value="{html.escape(name)}"><input name="message"><button>Sign</button></form>'
        return respond(start_response, 200, page("Guestbook", f"<ul>{items}</ul>{form}"))
    if path == "/sign":
        if method != "POST":
            return respond(start_response, 405, page("Method not allowed", ""), headers=[("Allow", "POST")])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8"))
        signer, message = form.get("name", [""])[0].strip(), form.get("message", [""])[0].strip()
        if not signer or not message:
            return respond(start_response, 400, page("Guestbook", "<p>Give a name and a message.</p>"))
        ENTRIES.append((signer, message))
        remember = SimpleCookie()
        remember["name"] = signer
        remember["name"]["path"] = "/"
        remember["name"]["httponly"] = True
        headers = [("Location", f"/entries/{len(ENTRIES) - 1}"), ("Set-Cookie", remember["name"].OutputString())]
        return respond(start_response, 303, "", headers=headers)
    if path.startswith("/entries/") and path[len("/entries/"):].isdigit() and int(path[len("/entries/"):]) < len(ENTRIES):
        signer, message = ENTRIES[int(path[len("/entries/"):])]
        return respond(start_response, 200, page("Entry", f"<p>{html.escape(message)}</p><p>by {html.escape(signer)}</p>"))
    return respond(start_response, 404, page("Not found", f"<p>Nothing at {html.escape(path)}.</p>"))


def page(title, body):
    return f"<!doctype html>\n<title>{html.escape(title)}</title>\n<h1>{html.escape(title)}</h1>\n{body}\n"


def respond(start_response, status, body, content_type="text/html; charset=utf-8", headers=()):
    data = body.encode("utf-8")
    start_response(STATUS[status], [("Content-Type", content_type), ("Content-Length", str(len(data))), *headers])
    return [data]
