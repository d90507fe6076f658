"""Secrets never reach a log line or an error body: URLs are shown without their password."""

import re
from urllib.parse import urlsplit, urlunsplit

_URL_WITH_CREDENTIALS = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^/@\s]*)@", re.IGNORECASE)


def redact_url(url: str) -> str:
    """`redis://user:secret@host:6379/0` -> `redis://user:***@host:6379/0` (no password: as is)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def redact_text(text: str) -> str:
    """Every `scheme://credentials@` in free text with its credentials replaced by `***`."""
    return _URL_WITH_CREDENTIALS.sub(lambda m: f"{m.group(1)}***@", text)
