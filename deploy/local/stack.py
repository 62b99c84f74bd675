"""Where `make up` keeps its state and which ports it uses (each overridable by environment)."""

from __future__ import annotations

import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Git-ignored: databases, NATS store, Keycloak data, generated secrets and passwords, pid files, logs.
RUN_DIR = Path(os.environ.get("ZGOV_RUN_DIR", REPO_ROOT / ".run"))


def port(env: str, default: int) -> int:
    value = os.environ.get(env)
    return int(value) if value else default


def keycloak_url_default(run_dir: Path = RUN_DIR) -> str:
    """The Keycloak that `make up` started (from .run/endpoints.json), else the default port."""
    endpoints = run_dir / "endpoints.json"
    if endpoints.exists():
        url = json.loads(endpoints.read_text()).get("keycloak", {}).get("url")
        if url:
            return url
    return f"http://127.0.0.1:{port('ZGOV_KEYCLOAK_PORT', 8080)}"
