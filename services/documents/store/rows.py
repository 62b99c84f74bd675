"""Row helpers every query uses."""

from __future__ import annotations

import uuid

from shared.errors import NotFound


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        raise NotFound(f"{what} {value!r}") from None
