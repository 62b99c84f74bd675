"""What every example shares: the service's address and a token from the environment."""

import os
import sys

from zgov_client import connect


def channel_from_environment():
    target, token = os.environ.get("ZGOV_TARGET"), os.environ.get("ZGOV_TOKEN")
    if not target or not token:
        sys.exit("set ZGOV_TARGET (host:port of the service) and ZGOV_TOKEN (an access token)")
    return connect(target, token, tls=os.environ.get("ZGOV_TLS") == "1")
