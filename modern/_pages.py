"""Every user-visible text of the modern app and feed, byte for byte as ``docs/contract.md`` says.

The legacy twin keeps its own copy of these texts (legacy code never imports anything newer than
its own stack); the differential tests in ``tests/apps`` keep the two copies equal.
"""

from __future__ import annotations

import html

#: The largest request body accepted; one byte more is a 413.
MAX_BODY = 1024 * 1024
#: The most ids one search may ask for.
MAX_IDS = 1000

LIST_HEAD = (
    "<!DOCTYPE html>\n"
    "<html>\n"
    '<head><meta charset="utf-8"><title>Messages</title></head>\n'
    "<body>\n"
    "<h1>Messages</h1>\n"
    '<p><a href="compose">Compose a message</a></p>\n'
    "<ul>\n"
)
LIST_TAIL = "</ul>\n</body>\n</html>\n"

COMPOSE_FORM = (
    "<!DOCTYPE html>\n"
    "<html>\n"
    '<head><meta charset="utf-8"><title>Compose</title></head>\n'
    "<body>\n"
    "<h1>Compose a message</h1>\n"
    '<form method="post" action="compose">\n'
    '<textarea name="msg" rows="4" cols="60"></textarea>\n'
    '<button type="submit">Send</button>\n'
    "</form>\n"
    '<p><a href="./">Back to the list</a></p>\n'
    "</body>\n"
    "</html>\n"
)

#: Where ``POST /compose`` sends the browser: relative, so it holds under any mount prefix.
AFTER_COMPOSE = "./"

ERR_JSON = "body is not valid JSON"
ERR_IDS = "id must be a list of ObjectId hex strings"
ERR_TOO_MANY = f"id must have at most {MAX_IDS} entries"
ERR_CONTENT_TYPE = "Content-Type must be application/json"

#: The JSON error text of the search path for the errors that are not about the query.
JSON_ERRORS = {
    405: "method not allowed",
    413: "body over 1 MiB",
    415: ERR_CONTENT_TYPE,
    500: "internal error",
    503: "database unavailable",
}


def list_item(text: str) -> str:
    return f"<li>{html.escape(text, quote=True)}</li>\n"


#: The titles of the HTML error pages. Fixed here rather than taken from ``http.HTTPStatus``,
#: whose phrase for 413 changed in Python 3.13.
ERROR_TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def error_page(status: int, reason: str) -> str:
    """The HTML error page: it says the status and nothing about the error's details.

    ``reason`` (the status line's phrase) titles a status the contract does not list.
    """
    title = f"{status} {ERROR_TITLES.get(status, reason)}"
    return (
        "<!DOCTYPE html>\n"
        "<html>\n"
        f'<head><meta charset="utf-8"><title>{title}</title></head>\n'
        "<body>\n"
        f"<h1>{title}</h1>\n"
        "</body>\n"
        "</html>\n"
    )


# The feed's answers (without the line ending).
FEED_ERR_TOO_LONG = "ERR line too long"
FEED_ERR_EMPTY_LINE = "ERR empty line"
FEED_ERR_UTF8 = "ERR invalid UTF-8"
FEED_ERR_EMPTY_MESSAGE = "ERR empty message"
FEED_ERR_BAD_N = "ERR bad n"
FEED_ERR_UNKNOWN = "ERR unknown command"
FEED_ERR_UNAVAILABLE = "ERR unavailable"
FEED_ERR_INTERNAL = "ERR internal error"
FEED_MAX_LINE = 64 * 1024
FEED_MAX_N = 100


def feed_text(text: str) -> str:
    """A message on one feed line: backslash, carriage return and line feed written escaped."""
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
