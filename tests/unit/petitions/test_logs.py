"""A71, A80: a logged failure never carries a petitioner's data (frames' locals are not rendered)."""

import io
import logging

import pytest

from shared.logging import configure_logging


def register(petitioner_name: str, petitioner_phone: str) -> None:
    intake = {"name": petitioner_name, "phone": petitioner_phone}  # noqa: F841 (a local, as in the servicer)
    raise RuntimeError("database unavailable")


@pytest.mark.parametrize("json", [True, False], ids=["json", "console"])
def test_A71_A80_a_logged_exception_names_no_petitioner(json):
    # Built at run time: a console traceback shows source lines, and the data must not be in them.
    name, phone = "林" + "晓梅", "139" + "12345678"
    stream = io.StringIO()
    handler = configure_logging("petitions", json=json, stream=stream)
    try:
        try:
            register(name, phone)
        except RuntimeError:
            logging.getLogger("grpc._cython.cygrpc").exception("Unexpected error in RPC handler")
    finally:
        logging.getLogger().removeHandler(handler)
    out = stream.getvalue()
    assert "database unavailable" in out and "register" in out  # the traceback is there
    assert name not in out and phone not in out
