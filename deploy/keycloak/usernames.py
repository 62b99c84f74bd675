"""Usernames a person may not take (保留用户名): names that imitate a service account.

Whether a caller is a service is decided from its token (shared.identity.is_service_account),
never from its name; still, a person called "service-account-documents" or "documents" would
mislead every reader of the audit record and of Keycloak's console. Such names are refused
where people get accounts: Keycloak's own registration and admin API (the realm's user profile
carries USERNAME_PATTERN as a `pattern` validator of `username`) and the security office's CLI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Keycloak names the user behind a client's service account "service-account-<client>"; the
# separators are optional so that "service_account…" and "serviceaccount…" are refused as well.
_SERVICE_ACCOUNT = r"service[-_.]?accounts?"
# Names of the platform's own machinery, whatever clients exist.
_MACHINERY = ("system", "admin", "zgov")


def reserved_names(client_ids: Iterable[str]) -> tuple[str, ...]:
    """The names no person may take: every client of the realm and the platform's own machinery."""
    return tuple(sorted({*client_ids, *_MACHINERY}))


def username_pattern(client_ids: Iterable[str]) -> str:
    """A Java- and Python-compatible regular expression a person's username must match in full."""
    names = "|".join(re.escape(n) for n in reserved_names(client_ids))
    return f"^(?!{_SERVICE_ACCOUNT})(?!(?:{names})$).+$"


def refusal(username: str, client_ids: Iterable[str]) -> str | None:
    """Why `username` may not be a person's, or None when it may (Keycloak compares lower case)."""
    name = username.strip().lower()
    if re.match(_SERVICE_ACCOUNT, name):
        return f"{username!r} imitates a service account (service-account-…); choose another username"
    if name in reserved_names(client_ids):
        return f"{username!r} is the name of a client of the platform; choose another username"
    return None
