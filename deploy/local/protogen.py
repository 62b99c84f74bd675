"""Generate the Python stubs of proto/ into proto/gen (`make proto`), or check they match (`--check`).

Reproducible: the generator is the pinned grpcio-tools of requirements.txt and the output
depends only on the .proto files, which are fed in sorted order.
"""

import filecmp
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTO = ROOT / "proto"
GEN = PROTO / "gen"


def generate(out: Path) -> None:
    files = sorted(str(p.relative_to(PROTO)) for p in (PROTO / "zgov").rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    mypy_plugin = Path(sys.executable).parent / "protoc-gen-mypy"
    args = [
        "protoc",
        f"-I{PROTO}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--plugin=protoc-gen-mypy={mypy_plugin}",
        f"--mypy_out={out}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed: see the message above")


def differences(a: Path, b: Path) -> list[str]:
    def walk(cmp: filecmp.dircmp, prefix: str) -> list[str]:
        out = [f"{prefix}{n}" for n in cmp.left_only + cmp.right_only + cmp.diff_files]
        for name, sub in cmp.subdirs.items():
            out += walk(sub, f"{prefix}{name}/")
        return out

    return walk(filecmp.dircmp(a, b, ignore=["__pycache__"]), "")


def main() -> None:
    if "--check" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp))
            drift = differences(Path(tmp), GEN) if GEN.exists() else ["proto/gen is missing"]
        if drift:
            raise SystemExit(
                "proto/gen drifts from proto/ (" + ", ".join(drift) + "): run 'make proto' and commit."
            )
        print("proto/gen matches proto/")
        return
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        shutil.rmtree(GEN, ignore_errors=True)
        shutil.copytree(tmp, GEN)
    print(f"generated {sum(1 for _ in GEN.rglob('*.py'))} modules into proto/gen")


if __name__ == "__main__":
    main()
