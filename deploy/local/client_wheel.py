"""Build the typed Python client wheel (`make client`): dist/zgov_client-<version>-py3-none-any.whl.

The wheel is clients/python (the `zgov_client` helpers, pyproject.toml, README) with the stubs of
proto/gen/zgov beside it, built by pip with the venv's own setuptools (no download at build time).
The stubs are the committed ones, which `make proto-check` keeps equal to proto/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "python"
STUBS = ROOT / "proto" / "gen" / "zgov"
DIST = ROOT / "dist"


def build(out: Path = DIST) -> Path:
    """Build the wheel into `out` and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "zgov-client"
        staging.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(CLIENT / name, staging / name)
        shutil.copytree(CLIENT / "zgov_client", staging / "zgov_client", ignore=skip)
        shutil.copytree(STUBS, staging / "zgov", ignore=skip)
        before = set(out.glob("zgov_client-*.whl"))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-build-isolation",
                "--wheel-dir",
                str(out),
                str(staging),
            ],
            check=True,
        )
    built = sorted(set(out.glob("zgov_client-*.whl")) - before) or sorted(out.glob("zgov_client-*.whl"))
    return built[-1]


def main() -> None:
    wheel = build()
    print(f"built {wheel.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
