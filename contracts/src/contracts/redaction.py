"""Secrets never reach a log line or an error: a URL's credentials are shown as `***`."""

import re

_URL_CREDENTIALS = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)


def redact_text(text: str) -> str:
    """`redis://user:secret@host:6379/0` -> `redis://***@host:6379/0`, anywhere in `text`."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)
