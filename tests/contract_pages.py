"""The pages of docs/contract.md, written out for the tests of either app.

Written here from the contract, not imported from an app, so that a test fails when an app
drifts from the contract, even if both drift alike.
"""

from __future__ import annotations

HTML = "text/html; charset=UTF-8"
JSON = "application/json; charset=UTF-8"


def list_page(*items: str) -> bytes:
    """The list page with ``items`` (already escaped) as its ``<li>`` entries."""
    lis = "".join(f"<li>{item}</li>\n" for item in items)
    return (
        "<!DOCTYPE html>\n<html>\n"
        '<head><meta charset="utf-8"><title>Messages</title></head>\n'
        "<body>\n<h1>Messages</h1>\n"
        '<p><a href="compose">Compose a message</a></p>\n'
        f"<ul>\n{lis}</ul>\n</body>\n</html>\n"
    ).encode()


def error_page(title: str) -> bytes:
    """An HTML error page, ``title`` such as ``"404 Not Found"``."""
    return (
        "<!DOCTYPE html>\n<html>\n"
        f'<head><meta charset="utf-8"><title>{title}</title></head>\n'
        f"<body>\n<h1>{title}</h1>\n</body>\n</html>\n"
    ).encode()
