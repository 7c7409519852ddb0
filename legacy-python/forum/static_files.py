"""GET /static/<file>: the forum's few assets, by exact name, with ETag revalidation."""
import hashlib
from pathlib import Path

from .web import Response, not_found

STATIC_DIR = Path(__file__).parent / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def _load():
    # Only files that exist at start-up are served: a request can name nothing outside this table.
    files = {}
    for path in STATIC_DIR.iterdir():
        if path.suffix in TYPES and path.is_file():
            data = path.read_bytes()
            files[path.name] = (data, TYPES[path.suffix], '"%s"' % hashlib.sha256(data).hexdigest()[:16])
    return files


FILES = _load()


def routes(router):
    router.add("/static/<name>", GET=serve_static)


def serve_static(forum, request, name):
    if name not in FILES:
        raise not_found("There is no file by that name.")
    data, content_type, etag = FILES[name]
    headers = [("Cache-Control", "public, max-age=3600"), ("ETag", etag)]
    if etag in [tag.strip() for tag in request.environ.get("HTTP_IF_NONE_MATCH", "").split(",")]:
        return Response(304, b"", None, headers)
    return Response(200, data, content_type, headers)
