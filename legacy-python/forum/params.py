"""Parsing ids and paging parameters by the contract's rules."""
import re

from .web import bad_request

MAX_ID = 9007199254740991
_POSITIVE = re.compile(r"[1-9][0-9]{0,15}")


def _positive(text):
    if text is None or not _POSITIVE.fullmatch(text) or int(text) > MAX_ID:
        return None
    return int(text)


def parse_id(text, thing):
    value = _positive(text)
    if value is None:
        raise bad_request(f"{thing} id must be a positive integer")
    return value


def parse_paging(query, default_per_page, max_per_page):
    """(page, per_page) from the query; absent means the default, anything malformed is a 400."""
    page = _positive(query.get("page", "1"))
    if page is None:
        raise bad_request("page must be a positive integer")
    per_page = _positive(query.get("per_page", str(default_per_page)))
    if per_page is None or per_page > max_per_page:
        raise bad_request(f"per_page must be an integer from 1 to {max_per_page}")
    return page, per_page


def page_count(total, per_page):
    return max(1, -(-total // per_page))
