"""A new app's legacy side for the README's first parity file: a stdlib http.server app with a JSON list
of items. Prints the listening line the test helpers wait for."""
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ITEMS = {1: "apple", 2: "pear"}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer(with_body=True)

    def do_HEAD(self):
        self.answer(with_body=False)

    def answer(self, with_body):
        path = self.path.split("?")[0]
        item = path.removeprefix("/api/items/")
        if path == "/api/items":
            status, value = 200, {"items": [{"id": i, "name": n} for i, n in ITEMS.items()]}
        elif item.isascii() and item.isdigit() and int(item) in ITEMS:
            status, value = 200, {"item": {"id": int(item), "name": ITEMS[int(item)]}}
        else:
            status, value = 404, {"error": "no such item"}
        body = json.dumps(value, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(json.dumps({"event": "listening", "url": f"http://127.0.0.1:{server.server_port}"}), flush=True)
    server.serve_forever()
