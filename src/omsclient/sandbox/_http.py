"""Small HTTP helpers shared by both APIs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.responses import Response

LOGIN_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in to your account</h1>
<form method="post" action="/login">
  <label>Username <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>
</body>
</html>
"""


def parse_form(body: bytes, content_type: str) -> dict[str, str]:
    """Fields of a url-encoded body (the last value wins, as in PHP); {} for other bodies.

    Only a body labelled ``application/x-www-form-urlencoded`` is read: PHP fills ``$_POST``
    from no other (a multipart form aside, which the sandbox does not read), so a client that
    sends its form as ``text/plain``, or unlabelled, signs in with nothing there.
    """
    kind = content_type.partition(";")[0].strip().lower()
    if not body or kind != "application/x-www-form-urlencoded":
        return {}
    return parse_query(body)


def parse_query(encoded: bytes) -> dict[str, str]:
    """Fields of url-encoded text (a query string, a form's body), the last value winning."""
    return dict(parse_qsl(encoded.decode("utf-8", "replace"), keep_blank_values=True))


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response serialised with orjson."""
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def login_page() -> Response:
    """HTTP 200 with an HTML login page, what some servers answer instead of a JSON error."""
    return Response(LOGIN_PAGE, status_code=200, media_type="text/html; charset=utf-8")
