"""Reading a posted form: the one way every POST of the console reads its body.

A form is `application/x-www-form-urlencoded`, UTF-8 and at most `MAX_BODY_BYTES`: anything
else is `BadForm` (a 400 page, `errors.py`), never an exception from deep in aiohttp. The
sign-in form is read before anybody is signed in, so this runs on unsigned bytes: it checks
the declared type and size before reading, reads at most the limit, and logs nothing.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy

__all__ = ["FORM_TYPE", "MAX_BODY_BYTES", "BadForm", "read_form"]

FORM_TYPE = "application/x-www-form-urlencoded"
# A form of the console is a few hundred bytes; an edited tip a few thousand. The application
# refuses bodies past this (`client_max_size`, server.py) and `read_form` says so.
MAX_BODY_BYTES = 64 * 1024
_TOO_LARGE = f"The form is larger than the console takes ({MAX_BODY_BYTES // 1024} KB)."


class BadForm(Exception):
    """A POST body that is not a form this console reads; `reason` tells the browser why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def read_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The posted form (read once; aiohttp keeps it for the handler), or `BadForm`."""
    if request.content_type != FORM_TYPE:
        raise BadForm(
            "This address takes a form posted by the console's own pages "
            f"({FORM_TYPE}); reload the page and use its buttons."
        )
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise BadForm(_TOO_LARGE)  # refused before a byte of it is read
    try:
        return await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise BadForm(_TOO_LARGE) from None
    except web.HTTPBadRequest:  # aiohttp's own limits, such as the number of fields
        raise BadForm("The form has more fields than the console's pages send.") from None
    except (ValueError, LookupError, HttpProcessingError):
        # ValueError: bytes that are not UTF-8 (UnicodeDecodeError); LookupError: a charset
        # nobody has heard of; HttpProcessingError: a body cut short or badly chunked.
        raise BadForm(
            "The form could not be read (it is not URL-encoded UTF-8); reload the page "
            "and try again."
        ) from None
