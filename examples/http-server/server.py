"""A to-do list on the standard library's http.server alone: add with a form (redirect after post), the
list's title is remembered in a cookie, see one item or a 404. The port comes from LEGACY_PORT.

Run it alone: LEGACY_PORT=8000 python3 server.py
"""
import html
import os
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ITEMS = []  # in memory: the example has no database


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        title = cookie["title"].value if "title" in cookie else "To do"
        if self.path == "/":
            items = "".join(f'<li><a href="/items/{i}">{html.escape(text)}</a></li>' for i, text in enumerate(ITEMS))
            form = '<form method="post" action="/items"><input name="text"><button>Add</button></form>'
            return self.send(200, page(title, f"<ul>{items}</ul>{form}"))
        if self.path.startswith("/items/") and self.path[7:].isdigit() and int(self.path[7:]) < len(ITEMS):
            return self.send(200, page(title, f"<p>{html.escape(ITEMS[int(self.path[7:])])}</p>"))
        return self.send(404, page("Not found", f"<p>Nothing at {html.escape(self.path)}.</p>"))

    def do_POST(self):
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8"))
        if self.path == "/items":
            text = form.get("text", [""])[0].strip()
            if not text:
                return self.send(400, page("To do", "<p>An item needs some text.</p>"))
            ITEMS.append(text)
            return self.send(303, "", [("Location", f"/items/{len(ITEMS) - 1}")])
        if self.path == "/title":
            title = SimpleCookie()
            title["title"] = form.get("title", ["To do"])[0]
            title["title"]["path"] = "/"
            return self.send(303, "", [("Location", "/"), ("Set-Cookie", title["title"].OutputString())])
        return self.send(404, page("Not found", f"<p>Nothing at {html.escape(self.path)}.</p>"))

    def send(self, status, body, headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def page(title, body):
    return f"<!doctype html>\n<title>{html.escape(title)}</title>\n<h1>{html.escape(title)}</h1>\n{body}\n"


if __name__ == "__main__":
    port = int(os.environ.get("LEGACY_PORT", "8000"))
    print(f"serving on http://127.0.0.1:{port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
