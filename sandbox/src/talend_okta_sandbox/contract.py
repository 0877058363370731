"""Okta's and Talend's published API definitions, and the check of one HTTP exchange against them.

The definitions live in `../shared/api-specs/` (never copied here; `TALEND_OKTA_API_SPECS` names another folder).
Each is parsed once per process; the parsed form, without descriptions and examples, is cached as JSON under
`.cache/api-specs/` keyed by the file's sha256 (Okta's 3.5 MB YAML takes seconds to parse, its cache well under one).

`Definition.check` answers the violations of one exchange: the operation exists for the method and path, query
parameters are declared (and valid), request and response bodies are valid against the operation's schemas, the
status is declared. Each `Violation` names the operation, the field and the rule. `format` is not asserted.

Bodies are checked twice over when they fail: jsonschema-rs first (a millisecond for an app, 30 times faster than
the Python validator; OpenAPI 3.0's `nullable` rewritten as JSON Schema's `null` type), then, only for a body it
refuses, openapi-schema-validator, whose errors name each field (through a `oneOf`, too). Both honour OpenAPI's
`discriminator` (a mapped `oneOf` checks the one branch its value names). A body only the second accepts has no
violation.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import jsonschema_rs
import yaml
from openapi_schema_validator import OAS30Validator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

JSON = dict[str, Any]
_REPO = Path(__file__).resolve().parents[3]
SPECS_ENV = "TALEND_OKTA_API_SPECS"
CACHE = _REPO / ".cache" / "api-specs"

OKTA_FILES = ("okta-management-2026.06.3.yaml",)
TALEND_FILES = (
    "talend-scim-v2-2021-03.json",
    "talend-sso-role-mapping.json",
    "talend-seats-and-subscription.json",
    "talend-account.yml",
    "talend-identities-management.json",
    "talend-audit-logs.json",
)
_METHODS = ("get", "put", "post", "delete", "patch")
_DROPPED = {"description", "summary", "example", "examples", "tags", "externalDocs", "x-okta-lifecycle"}
_NAME_MAPS = {"properties", "patternProperties", "schemas", "parameters", "responses", "headers", "paths", "content"}
_NAME_MAPS |= {"mapping", "securitySchemes", "requestBodies", "variables"}


class SpecsMissing(Exception):
    """The folder of vendor definitions is not there: the contract cannot be checked."""


def specs_dir() -> Path:
    return Path(os.environ.get(SPECS_ENV) or _REPO.parent / "shared" / "api-specs")


@dataclass(frozen=True)
class Violation:
    api: str
    operation: str
    """The definition's operationId, or "METHOD path" where the definition has none for the request."""
    field: str
    """Where: `status.<code>`, `path`, `method`, `query.<name>`, `request.body.<path>`, `response.<code>.body…`."""
    rule: str
    """The rule broken: a JSON Schema keyword and its message, or "undeclared", "required", …"""

    @property
    def key(self) -> tuple[str, str, str]:
        """The (operation, field, keyword) a quirk exempts; list indices are folded to `[]`."""
        head, body, pointer = self.field.partition(".body")
        folded = head + body + re.sub(r"\.\d+(?=\.|$)", "[]", pointer) if body else self.field
        return self.operation, re.sub(r"^response\.\d+", "response", folded), self.rule.split(":", 1)[0]

    def __str__(self) -> str:
        return f"{self.api} {self.operation}: {self.field}: {self.rule}"


@dataclass(frozen=True)
class Quirk:
    """A rule of the definition that the vendor's real API breaks, and the source that shows it."""

    operation: str
    field: str
    """As in `Violation.key`: list indices folded to `[]`; a trailing `*` matches any field below."""
    keyword: str
    source: str

    def exempts(self, violation: Violation) -> bool:
        operation, field, keyword = violation.key
        if self.operation not in ("*", operation) or self.keyword != keyword:
            return False
        return field.startswith(self.field[:-1]) if self.field.endswith("*") else field == self.field


@dataclass(frozen=True)
class Operation:
    name: str
    path: str
    method: str
    node: JSON
    pointer: str
    """JSON pointer of the operation in its document."""
    item_parameters: tuple[JSON, ...]
    """Parameters the path item declares for all its operations."""


class Document:
    """One parsed definition: its operations by path template, and a validator per schema pointer."""

    def __init__(self, name: str, spec: JSON) -> None:
        self.name = name
        self.spec = spec
        uri = f"urn:api-spec:{name}"
        oas30 = str(spec.get("openapi", "3.0")).startswith("3.0")  # Talend's account API declares 3.2.0
        self._dialect: Any = OAS30Validator if oas30 else OAS31Validator
        resource = Resource.from_contents(spec, default_specification=DRAFT4 if oas30 else DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(uri, resource)
        self._uri = uri
        self._validators: dict[str, Any] = {}  # openapi-schema-validator's, by pointer
        self._fast: dict[str, Any] = {}
        self.seen: dict[tuple[str, bytes, frozenset[str]], list[tuple[str, str, str]]] = {}
        """What a body already checked broke (the same app read again is checked once)."""
        self._fast_root: JSON | None = None
        self.routes: list[tuple[re.Pattern[str], int, str, JSON]] = []
        for path, item in spec.get("paths", {}).items():
            literal = len(re.sub(r"\{[^}]*\}", "", path))
            pattern = re.compile(re.sub(r"\\\{[^}]*\\\}", "([^/]+)", re.escape(path)))
            self.routes.append((pattern, literal, path, item))
        self.routes.sort(key=lambda route: -route[1])  # literal segments win: /users/me before /users/{id}

    def resolve(self, node: JSON) -> JSON:
        """A `$ref` (local to the document) followed to what it names."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            target: Any = self.spec
            for part in node["$ref"][2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def find(self, method: str, path: str) -> Operation | str | None:
        """The operation for a request; the matched path template when only the method is undeclared; None."""
        undeclared: str | None = None
        for pattern, _, template, item in self.routes:
            if pattern.fullmatch(path) is None:
                continue
            node = item.get(method.lower())
            if node is None:
                undeclared = undeclared or template
                continue
            name = str(node.get("operationId") or f"{method} {template}")
            pointer = "/paths/" + template.replace("~", "~0").replace("/", "~1") + "/" + method.lower()
            shared = tuple(self.resolve(p) for p in item.get("parameters", []))
            return Operation(name, template, method, node, pointer, shared)
        return undeclared

    def errors(self, pointer: str, instance: Any) -> list[tuple[str, str, str]]:
        """(field path, JSON Schema keyword, message) of each way `instance` breaks the schema at this pointer."""
        if self._fast_validator(pointer).is_valid(instance):
            return []
        validator = self._validators.get(pointer)
        if validator is None:
            validator = self._dialect({"$ref": f"{self._uri}#{pointer}"}, registry=self._registry)
            self._validators[pointer] = validator
        found: dict[tuple[str, str], str] = {}  # `nullable` refusals come twice: keep one per field and keyword
        for error in validator.iter_errors(instance):
            where = ".".join(str(part) for part in error.absolute_path)
            found.setdefault((where, str(error.validator)), _short(error.message))
        return [(where, keyword, message) for (where, keyword), message in found.items()]

    def _fast_validator(self, pointer: str) -> Any:
        validator = self._fast.get(pointer)
        if validator is None:
            if self._fast_root is None:
                self._fast_root = _nullable_as_null(self.spec) if self._dialect is OAS30Validator else self.spec
            root = {**self._fast_root, "$ref": "#" + quote(pointer, safe="/~")}
            cls = (
                jsonschema_rs.Draft4Validator if self._dialect is OAS30Validator else jsonschema_rs.Draft202012Validator
            )
            validator = cls(root, validate_formats=False)
            self._fast[pointer] = validator
        return validator


class Definition:
    """One vendor's API: its documents (Talend publishes several), checked as one."""

    def __init__(self, api: str, documents: Iterable[Document], quirks: Iterable[Quirk] = ()) -> None:
        self.api = api
        self.documents = tuple(documents)
        self.quirks = tuple(quirks)

    def operations(self) -> Iterator[tuple[Document, str, str, JSON]]:
        """Every (document, method, path template, operation node) the definition declares."""
        for document in self.documents:
            for _, _, template, item in document.routes:
                for method in _METHODS:
                    if method in item:
                        yield document, method.upper(), template, item[method]

    def find(self, method: str, path: str) -> tuple[Document, Operation] | Violation:
        undeclared: str | None = None
        for document in self.documents:
            found = document.find(method, path)
            if isinstance(found, Operation):
                return document, found
            undeclared = undeclared or found
        if undeclared is not None:
            return Violation(self.api, f"{method} {undeclared}", "method", "undeclared: no such operation")
        return Violation(self.api, f"{method} {path}", "path", "undeclared: no operation has this path")

    def check(
        self,
        method: str,
        path: str,
        raw_query: str,
        request_body: bytes,
        status: int | None,
        response_body: bytes = b"",
        response_type: str = "",
    ) -> tuple[str, list[Violation]]:
        """The operation's name and the violations of one exchange (the response is skipped when `status` is
        None), less the definition's known quirks."""
        found = self.find(method, path)
        if isinstance(found, Violation):
            return found.operation, [found]
        document, operation = found
        nullable = {q.field for q in self.quirks if q.keyword == "type" and q.operation in ("*", operation.name)}
        check = _Check(self.api, document, operation, nullable)
        check.query(raw_query)
        check.request_body(request_body)
        if status is not None:
            check.response(status, response_body, response_type)
        return operation.name, [v for v in check.violations if not any(q.exempts(v) for q in self.quirks)]


class _Check:
    def __init__(self, api: str, document: Document, operation: Operation, nullable: set[str]) -> None:
        self.api, self.document, self.operation = api, document, operation
        self.nullable = nullable
        """Fields (as in `Quirk.field`) whose null the vendor is known to send: left out before the schema check,
        so the fast validator passes what only the quirk would have excused."""
        self.violations: list[Violation] = []

    def _add(self, field: str, rule: str) -> None:
        self.violations.append(Violation(self.api, self.operation.name, field, rule))

    def _parameters(self) -> dict[tuple[str, str], tuple[JSON, str]]:
        """Declared parameters by (in, name), with the pointer of each one's schema."""
        found: dict[tuple[str, str], tuple[JSON, str]] = {}
        op = self.operation
        for index, raw in enumerate(op.node.get("parameters", [])):
            parameter = self.document.resolve(raw)
            pointer = _ref_pointer(raw) or f"{op.pointer}/parameters/{index}"
            found[(parameter.get("in", ""), parameter.get("name", ""))] = (parameter, f"{pointer}/schema")
        for parameter in op.item_parameters:
            found.setdefault((parameter.get("in", ""), parameter.get("name", "")), (parameter, ""))
        return found

    def query(self, raw_query: str) -> None:
        parameters = self._parameters()
        values = dict(parse_qsl(raw_query, keep_blank_values=True))
        for name, value in values.items():
            declared = parameters.get(("query", name))
            if declared is None:
                self._add(f"query.{name}", "undeclared: the operation declares no such query parameter")
                continue
            parameter, pointer = declared
            schema = self.document.resolve(parameter.get("schema", {}))
            if pointer and "schema" in parameter:
                for _, keyword, message in self.document.errors(pointer, _typed(value, schema)):
                    self._add(f"query.{name}", f"{keyword}: {message}")
        for (where, name), (parameter, _) in parameters.items():
            if where == "query" and parameter.get("required") and name not in values:
                self._add(f"query.{name}", "required: the operation requires this query parameter")

    def request_body(self, body: bytes) -> None:
        declared = self.operation.node.get("requestBody")
        if declared is None:
            if body.strip() not in (b"", b"{}"):
                self._add("request.body", "undeclared: the operation takes no request body")
            return
        request = self.document.resolve(declared)
        if not body.strip():
            if request.get("required"):
                self._add("request.body", "required: the operation requires a request body")
            return
        pointer = _ref_pointer(declared) or f"{self.operation.pointer}/requestBody"
        self._body("request.body", body, request.get("content", {}), f"{pointer}/content")

    def response(self, status: int, body: bytes, content_type: str) -> None:
        responses = self.operation.node.get("responses", {})
        key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
        if key is None:
            self._add(f"status.{status}", f"undeclared: the operation declares no {status} answer")
            return
        declared = responses[key]
        response = self.document.resolve(declared)
        if body.strip() and "json" in content_type:
            pointer = _ref_pointer(declared) or f"{self.operation.pointer}/responses/{key}"
            self._body(f"response.{status}.body", body, response.get("content", {}), f"{pointer}/content")

    def _body(self, field: str, body: bytes, content: Mapping[str, Any], pointer: str) -> None:
        media = next((m for m in content if "json" in m or m == "*/*"), None)
        if media is None:
            return  # declared as XML, text or not at all: nothing the JSON check can say
        try:
            instance = json.loads(body)
        except ValueError:
            self._add(field, "json: the body is not JSON")
            return
        if "schema" not in content[media]:
            return
        schema = f"{pointer}/{_escape(media)}/schema"
        seen = (schema, hashlib.sha1(body).digest(), frozenset(self.nullable))
        errors = self.document.seen.get(seen)
        if errors is None:
            if self.nullable:
                instance = _without_nulls(instance, re.sub(r"^response\.\d+", "response", field), self.nullable)
            errors = self.document.errors(schema, instance)
            if len(self.document.seen) > 10_000:
                self.document.seen.clear()
            self.document.seen[seen] = errors
        for where, keyword, message in errors:
            self._add(f"{field}.{where}" if where else field, f"{keyword}: {message}")


def _without_nulls(value: Any, where: str, fields: set[str]) -> Any:
    """`value` less the null members at `fields` (list indices written `[]`)."""
    if isinstance(value, dict):
        return {
            key: _without_nulls(item, f"{where}.{key}", fields)
            for key, item in value.items()
            if item is not None or f"{where}.{key}" not in fields
        }
    if isinstance(value, list):
        return [_without_nulls(item, f"{where}[]", fields) for item in value]
    return value


def _ref_pointer(node: Any) -> str | None:
    ref = node.get("$ref") if isinstance(node, dict) else None
    return ref[1:] if isinstance(ref, str) and ref.startswith("#/") else None


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _typed(value: str, schema: JSON) -> Any:
    """A query parameter's text as the type its schema declares (`limit=20` is an integer)."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    if kind == "array":
        return value.split(",")
    return value


def _short(message: str) -> str:
    return message if len(message) <= 160 else message[:157] + "..."


# --- loading --------------------------------------------------------------------------------------------------


def _nullable_as_null(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` as JSON Schema says it (`null` among the types), and a `oneOf`'s
    `discriminator` mapping as branches that each require their value, for jsonschema-rs (which knows neither)."""
    if isinstance(node, list):
        return [_nullable_as_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable_as_null(value) for key, value in node.items() if key != "nullable"}
    mapping = (node.get("discriminator") or {}).get("mapping")
    branches = next((keyword for keyword in ("oneOf", "anyOf") if keyword in node), None)
    if mapping and branches:
        name = node["discriminator"]["propertyName"]
        del out[branches]
        out["anyOf"] = [
            {"allOf": [{"properties": {name: {"enum": [value]}}, "required": [name]}, {"$ref": ref}]}
            for value, ref in mapping.items()
        ]
    if node.get("nullable") is not True:
        return out
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}


def _strip(node: Any, names: bool = False) -> Any:
    """The definition without what validation never reads (descriptions, examples); keys of maps of names (a
    schema's `properties`, …) are kept whatever they are called."""
    if isinstance(node, list):
        return [_strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _strip(value, key in _NAME_MAPS and not names)
        for key, value in node.items()
        if names or key not in _DROPPED
    }


def load_document(path: Path) -> JSON:
    """The parsed definition, from the cache when the file has not changed."""
    if not path.is_file():
        raise SpecsMissing(
            f"the vendor API definition {path.name} is missing from {path.parent} ({SPECS_ENV} names another folder)"
        )
    raw = path.read_bytes()
    cached = CACHE / f"{path.stem}-{hashlib.sha256(raw).hexdigest()[:32]}.json"
    if cached.is_file():
        document: JSON = json.loads(cached.read_bytes())
        return document
    parsed: JSON = _strip(yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(parsed))
    partial.replace(cached)  # atomic: parallel test workers may write it at once
    return parsed


@functools.cache
def okta() -> Definition:
    """Okta's Management API, with the quirks its real traffic shows (contract_quirks)."""
    from talend_okta_sandbox.contract_quirks import OKTA_QUIRKS

    documents = [Document(name, load_document(specs_dir() / name)) for name in OKTA_FILES]
    return Definition("Okta", documents, OKTA_QUIRKS)


@functools.cache
def talend() -> Definition:
    """Talend's SCIM v2, role-mapping, account, identities and audit-log APIs, as one."""
    from talend_okta_sandbox.contract_quirks import TALEND_QUIRKS

    documents = [Document(name, load_document(specs_dir() / name)) for name in TALEND_FILES]
    return Definition("Talend", documents, TALEND_QUIRKS)
