"""How a refusal or a record names a person: the name a reader knows first, the user id after it.

Integrators read refusals such as "signed off by mayor: 王市长 [3f2a…]"; a bare UUID tells them
nothing, a bare name cannot be passed back to the API. The name comes from org's directory (the
display name, else the username); when it is unknown the user id stands alone.
"""

from __future__ import annotations


def person(user_id: str, name: str = "") -> str:
    """ "王市长 [<user id>]", or the user id alone when the name is unknown, or "nobody"."""
    if not user_id:
        return name or "nobody"
    if not name or name == user_id:
        return user_id
    return f"{name} [{user_id}]"
