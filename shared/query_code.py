"""Query codes (查询码): what an applicant or petitioner without an account follows a case by.

Random, shown once at intake, kept only as a hash. 16 characters of 31 unambiguous ones (about 79
bits): not guessable, easy to read out on the phone. Used by disclosure (applications) and
petitions (cases).
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 16


def new_query_code() -> str:
    """A fresh code in groups of four, e.g. ABCD-EFGH-JKMN-PQRS."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def query_code_hash(code: str) -> str:
    """The code as typed (any case, with or without dashes and spaces) → the stored hash."""
    normal = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normal.encode()).hexdigest()
