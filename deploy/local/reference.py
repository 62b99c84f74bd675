"""Generate the API reference the portal serves under /developers (`make reference`), or check it (`--check`).

What an integrator needs to call a service, from the sources that decide it:
- services, RPCs, messages, fields and enums with their comments: the contracts in proto/, compiled
  with their source info (the stubs in proto/gen carry no comments);
- the permission (Keycloak client role) each RPC needs: the `@requires` declaration on the servicer
  method that implements it (shared/rpc_auth.py `declared_permissions`);
- the error reasons a service can answer in `google.rpc.ErrorInfo.reason`: the rule ids and the
  upper-case reasons written in its code, with the catalogue's words for each rule (docs/rules-catalogue.md).

The output, services/portal/developers/reference.json, is committed: the portal ships without proto/, docs/
or the other services' code. tests/deploy/test_reference.py fails when it drifts from the sources.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import sys
import tempfile
from importlib import resources
from pathlib import Path

from google.protobuf import descriptor_pb2
from grpc_tools import protoc

from shared.rpc_auth import declared_permissions

ROOT = Path(__file__).resolve().parents[2]
PROTO = ROOT / "proto"
SERVICES = ROOT / "services"
CATALOGUE = ROOT / "docs" / "rules-catalogue.md"
OUTPUT = SERVICES / "portal" / "developers" / "reference.json"
EXAMPLES = ROOT / "clients" / "python" / "examples"

# Reasons every service may answer, whatever its own code says.
COMMON_REASONS = {
    "UNAUTHENTICATED": "no valid token (UNAUTHENTICATED)",
    "PERMISSION_MISSING": "the caller lacks a permission; metadata `permissions` names them, `method` the RPC",
    "PERMISSION_UNDECLARED": "the RPC declares no permission: refused for everyone (a server bug)",
}
RULE_LITERAL = re.compile(
    r"[\"'](A\d{1,2}(?:\.[a-z0-9-]+)?|OGI\d+(?:\.[a-z0-9-]+)?|GBT9704(?:\.[a-z0-9-]+)?)[\"']"
)
REASON_LITERAL = re.compile(r"reason=[\"']([A-Z][A-Z_]+)[\"']")
CATALOGUE_ENTRY = re.compile(r"^\*\*([^*]+)\*\*\s*([^—]*?)\s*— (.+)$")


# -- the contracts, with their comments ------------------------------------------------------------------


def descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    files = sorted(str(p.relative_to(PROTO)) for p in (PROTO / "zgov").rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.binpb"
        args = [
            "protoc",
            f"-I{PROTO}",
            f"-I{well_known}",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *files,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed: see the message above")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def comments_of(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    """Leading (else trailing) comment of each element, by its source path."""
    out = {}
    for location in file.source_code_info.location:
        text = (location.leading_comments or location.trailing_comments).strip()
        if text:
            out[tuple(location.path)] = "\n".join(line.strip() for line in text.splitlines())
    return out


LABELS = {1: "optional", 2: "required", 3: "repeated"}
TYPES = {v: k[len("TYPE_") :].lower() for k, v in descriptor_pb2.FieldDescriptorProto.Type.items()}


def field_type(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type_name:
        return field.type_name.lstrip(".")
    return TYPES[field.type]


def messages_of(package: str, prefix: str, messages, path: tuple[int, ...], comments) -> list[dict]:
    out = []
    for index, message in enumerate(messages):
        here = (*path, index)
        name = f"{prefix}{message.name}"
        if message.options.map_entry:
            continue
        fields = [
            {
                "name": f.name,
                "number": f.number,
                "type": field_type(f),
                "label": "repeated" if f.label == 3 else ("optional" if f.proto3_optional else ""),
                "comment": comments.get((*here, 2, i), ""),
            }
            for i, f in enumerate(message.field)
        ]
        out.append({"name": f"{package}.{name}", "comment": comments.get(here, ""), "fields": fields})
        out += messages_of(package, f"{name}.", message.nested_type, (*here, 3), comments)
        out += [
            _enum(package, f"{name}.", e, (*here, 4, i), comments) for i, e in enumerate(message.enum_type)
        ]
    return out


def _enum(package: str, prefix: str, enum, path: tuple[int, ...], comments) -> dict:
    values = [
        {"name": v.name, "number": v.number, "comment": comments.get((*path, 2, i), "")}
        for i, v in enumerate(enum.value)
    ]
    return {
        "name": f"{package}.{prefix}{enum.name}",
        "comment": comments.get(path, ""),
        "values": values,
        "enum": True,
    }


def contracts(files: descriptor_pb2.FileDescriptorSet) -> tuple[list[dict], dict[str, dict]]:
    """(services with their RPCs, every message and enum by full name)."""
    services, types = [], {}
    for file in files.file:
        comments = comments_of(file)
        for message in messages_of(file.package, "", file.message_type, (4,), comments):
            types[message["name"]] = message
        for i, enum in enumerate(file.enum_type):
            found = _enum(file.package, "", enum, (5, i), comments)
            types[found["name"]] = found
        for s, service in enumerate(file.service):
            rpcs = [
                {
                    "name": m.name,
                    "request": m.input_type.lstrip("."),
                    "response": m.output_type.lstrip("."),
                    "server_streaming": m.server_streaming,
                    "comment": comments.get((6, s, 2, i), ""),
                }
                for i, m in enumerate(service.method)
            ]
            services.append(
                {
                    "name": f"{file.package}.{service.name}",
                    "file": file.name,
                    # A service without a comment of its own is described by its file's (on `package`).
                    "comment": comments.get((6, s)) or comments.get((2,), ""),
                    "rpcs": rpcs,
                }
            )
    return services, types


# -- what the code declares ---------------------------------------------------------------------------------


def servicer_classes() -> dict[str, tuple[str, type]]:
    """Proto service full name → (platform service, servicer class), found in every services/*/api*.py."""
    found: dict[str, tuple[str, type]] = {}
    for service in sorted(p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists()):
        package = importlib.import_module(f"services.{service}")
        for module_info in pkgutil.iter_modules(package.__path__):
            if not module_info.name.startswith("api"):
                continue
            module = importlib.import_module(f"services.{service}.{module_info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                for base in cls.__mro__[1:]:
                    if base.__module__.endswith("_pb2_grpc") and base.__name__.endswith("Servicer"):
                        pb2 = importlib.import_module(base.__module__[: -len("_grpc")])
                        proto = pb2.DESCRIPTOR.services_by_name[base.__name__[: -len("Servicer")]]
                        found[proto.full_name] = (service, cls)
    return found


def reasons_in(service: str) -> list[str]:
    text = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (SERVICES / service).rglob("*.py")
        if "migrations" not in p.parts
    )
    rules = set(RULE_LITERAL.findall(text))
    return sorted(rules | set(REASON_LITERAL.findall(text)), key=_reason_order)


def _reason_order(reason: str) -> tuple:
    match = re.match(r"A(\d+)(.*)", reason)
    return (0, int(match.group(1)), match.group(2)) if match else (1, 0, reason)


def catalogue_entries() -> list[tuple[str, str]]:
    """(ids in bold, the entry's text joined from its wrapped lines) of each catalogue entry."""
    entries: list[list[str]] = []
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        if line.startswith("- **"):
            entries.append([line[2:]])
        elif entries and line.startswith("  ") and line.strip():
            entries[-1].append(line.strip())
        else:
            entries and entries[-1].append("")  # a blank or other line ends the entry
    out = []
    for lines in entries:
        text = " ".join(lines[: lines.index("")] if "" in lines else lines)
        match = CATALOGUE_ENTRY.match(text)
        if match:
            ids, label, body = match.groups()
            out.append((ids, f"{label}: {body}" if label else body))
    return out


def catalogue() -> dict[str, str]:
    """Article id → its catalogue entry's first sentence, from the entry that names it first."""
    ranked: dict[str, tuple[int, str]] = {}
    for ids, text in catalogue_entries():
        sentence = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0].rstrip(".;")
        if len(sentence) > 200:
            sentence = sentence[:199].rsplit(" ", 1)[0] + " …"
        for rank, rule in enumerate(re.findall(r"A\d+", ids)):
            if rule not in ranked or rank < ranked[rule][0]:
                ranked[rule] = (rank, sentence)
    return {rule: sentence for rule, (_, sentence) in ranked.items()}


def reason_meaning(reason: str, articles: dict[str, str]) -> str:
    article = reason.split(".", 1)[0]
    if article in articles:
        return articles[article]
    if reason.startswith("OGI"):
        return "Regulations on Open Government Information (政府信息公开条例), article " + article[3:]
    if reason.startswith("GBT9704"):
        return "layout of official documents (GB/T 9704-2012)"
    return "refused: the message says why"


# -- the reference --------------------------------------------------------------------------------------


def build() -> dict:
    services, types = contracts(descriptor_set())
    servicers = servicer_classes()
    articles = catalogue()
    out = []
    for service in services:
        owner, cls = servicers.get(service["name"], ("", None))
        for rpc in service["rpcs"]:
            method = getattr(cls, rpc["name"], None) if cls else None
            rpc["permissions"] = sorted(declared_permissions(method) or []) if method else []
        reasons = reasons_in(owner) if owner else []
        service["platform_service"] = owner
        service["implemented"] = cls is not None
        service["reasons"] = [{"reason": r, "meaning": reason_meaning(r, articles)} for r in reasons]
        out.append(service)
    used = {t for s in out for r in s["rpcs"] for t in (r["request"], r["response"])}
    return {
        "services": out,
        "types": dict(sorted(types.items())),
        "common_reasons": [{"reason": k, "meaning": v} for k, v in COMMON_REASONS.items()],
        "rpc_types": sorted(used),
        # The worked example of each platform service, shown on its page (clients/python/examples).
        "examples": {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("[!_]*.py"))},
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> None:
    text = render()
    if "--check" in sys.argv:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            raise SystemExit(
                f"{OUTPUT.relative_to(ROOT)} drifts from proto/ and the servicers: run 'make reference'"
            )
        print("the API reference matches proto/ and the servicers")
        return
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    count = sum(len(s["rpcs"]) for s in json.loads(text)["services"])
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {count} RPCs")


if __name__ == "__main__":
    main()
