"""A small router: path patterns with `<name>` segments, one handler per method."""
import re

from .web import HTTPError

METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class Router:
    def __init__(self):
        self._routes = []

    def add(self, pattern, **handlers):
        """router.add("/t/<id>", GET=show_thread); a GET route also answers HEAD."""
        regex = re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", pattern) + "$")
        methods = {method.upper(): handler for method, handler in handlers.items()}
        if "GET" in methods:
            methods.setdefault("HEAD", methods["GET"])
        self._routes.append((regex, methods))

    def match(self, method, path):
        """The handler and path parameters; HTTPError 404 or 405 (with Allow) when there is none."""
        for regex, methods in self._routes:
            found = regex.match(path)
            if not found:
                continue
            if method not in methods:
                allow = ", ".join(m for m in METHOD_ORDER if m in methods)
                raise HTTPError(405, "method_not_allowed", f"method {method} is not allowed here; use {allow}",
                                [("Allow", allow)])
            return methods[method], found.groupdict()
        return None, {}
