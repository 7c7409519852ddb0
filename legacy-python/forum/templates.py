"""string.Template pages from forum/templates/: every value is HTML-escaped unless it is Markup."""
from functools import lru_cache
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import quote

from .web import HTML_TYPE, Response

TEMPLATE_DIR = Path(__file__).parent / "templates"


class Markup(str):
    """HTML that is already safe: rendered fragments and stored body_html."""


@lru_cache(maxsize=None)
def _template(name):
    return Template((TEMPLATE_DIR / f"{name}.html").read_text(encoding="utf-8"))


def fragment(name, /, **values):
    """render templates/<name>.html, e.g. fragment("pager", page=1, pages=3, previous=Markup(""), next=...)."""
    safe = {key: value if isinstance(value, Markup) else escape(str(value)) for key, value in values.items()}
    return Markup(_template(name).substitute(safe).rstrip("\n"))


def join(fragments):
    return Markup("\n".join(fragments))


def url_part(text):
    return quote(text, safe="")


def page(title, content, user, csrf, status=200, headers=()):
    """A full page in layout.html."""
    nav = fragment("nav_user", username=user["username"], csrf=csrf) if user else fragment("nav_guest")
    body = fragment("layout", title=title, nav=nav, content=content) + "\n"
    return Response(status, body.encode("utf-8"), HTML_TYPE, [("Cache-Control", "no-store"), *headers])


def pager(base_url, page_number, pages):
    previous = Markup(f'<a rel="prev" href="{escape(base_url)}?page={page_number - 1}">‹ Newer</a>'
                      if page_number > 1 else "")
    following = Markup(f'<a rel="next" href="{escape(base_url)}?page={page_number + 1}">Older ›</a>'
                       if page_number < pages else "")
    return fragment("pager", previous=previous, page=page_number, pages=pages, next=following)
