"""The intermediate representation: frozen dataclasses built from a normalised schema.

Everything the templates need is decided here (names, annotations, parse calls), so templates only lay out.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from codegen.naming import OpName, PathTree, attr_ident, name_operations, param_of, pascal, py_ident, snake
from pvectl.sdk._core.names import keyword_names

Schema = Mapping[str, Any]


@dataclass(frozen=True)
class Param:
    name: str  # PVE spelling; `net[n]` for a family
    ident: str  # Python keyword argument
    annotation: str
    required: bool
    family: bool
    doc: str


@dataclass(frozen=True)
class Field:
    ident: str
    alias: str | None
    annotation: str
    doc: str


@dataclass(frozen=True)
class Model:
    name: str
    base: str  # ResponseModel | PropertyString
    fields: tuple[Field, ...]
    doc: str
    pve_format: str = ""
    # response models: property-string keys by format (for the typed ``parsed()`` overloads), e.g.
    # ("QemuNetFormat", ("net0", ..., "net31")), and families by format (``indexed(..., parse=True)``)
    ps_keys: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ps_families: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ps_runtime: tuple[tuple[str, str], ...] = ()  # PVE key or family -> format class, for the runtime helpers


@dataclass(frozen=True)
class Operation:
    key: str
    verb: str
    path: str
    pve_name: str
    description: str
    permissions: str
    names: OpName
    path_params: tuple[str, ...]
    params: tuple[Param, ...]
    indexed_annotation: str | None  # type of **indexed (net0=...) when the method has families
    indexed_keys: tuple[tuple[str, str], ...]  # (net0, its annotation) ... for the generated TypedDict
    returns: str  # annotation
    parse: str  # expression over `data`
    task: bool
    flags: tuple[str, ...]

    @property
    def method(self) -> str:
        return self.names.sdk_method


@dataclass(frozen=True)
class Child:
    attr: str
    cls: str
    module: str


@dataclass(frozen=True)
class Resource:
    path: str
    cls: str
    module: str
    doc: str
    item: Child | None  # what __call__ returns
    item_param: str | None  # name of the path param __call__ takes
    item_param_annotation: str
    children: tuple[Child, ...]
    operations: tuple[Operation, ...]


@dataclass(frozen=True)
class Module:
    name: str
    resources: tuple[Resource, ...]
    models: tuple[Model, ...]
    format_imports: tuple[str, ...]
    model_formats: tuple[str, ...] = ()  # formats the response models annotate fields with (run-time imports)
    overload_formats: tuple[str, ...] = ()  # formats only the typed helpers' overloads name (TYPE_CHECKING)

    def indexed_ops(self) -> list[Operation]:
        """Operations that need a TypedDict of their indexed keywords, one per name."""
        seen: dict[str, Operation] = {}
        for r in self.resources:
            for op in r.operations:
                if op.indexed_annotation:
                    seen.setdefault(op.indexed_annotation, op)
        return [seen[k] for k in sorted(seen)]


@dataclass(frozen=True)
class Api:
    version: str
    schema_sha: str
    modules: tuple[Module, ...]
    formats: tuple[Model, ...]
    operations: tuple[Operation, ...]
    runtime_spec: Mapping[str, Any] = field(hash=False)
    format_ids: Mapping[str, str] = field(hash=False)  # canonical JSON of a format -> id


_DOC_KEYS = {"description", "verbose_description", "typetext", "format_description", "title", "renderer"}


def _strip_docs(schema: Any) -> Any:
    """A schema without its documentation keywords (property *names* are kept, whatever they are)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DOC_KEYS:
            continue
        if key in ("properties", "property_string") and isinstance(value, dict):
            out[key] = _strip_map(value)
        elif key in ("items", "additional_properties") and isinstance(value, dict):
            out[key] = _strip_docs(value)
        elif key == "one_of" and isinstance(value, list):
            out[key] = [_strip_docs(v) for v in value]
        else:
            out[key] = value
    return out


def _strip_map(props: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _strip_docs(sub) for name, sub in props.items()}


def _canon(fmt: Schema) -> str:
    return json.dumps(_strip_map(fmt), sort_keys=True)


def _key_order(item: tuple[str, str]) -> tuple[str, int]:
    m = re.fullmatch(r"(\D+)(\d+)", item[0])
    return (m.group(1), int(m.group(2))) if m else (item[0], 0)


def _doc(text: str) -> str:
    return " ".join(str(text).split())


def _literal(values: list[Any]) -> str:
    return "Literal[" + ", ".join(json.dumps(v) for v in values) + "]"


def format_module(fid: str) -> str:
    """Module of one property-string model under ``models/formats/`` (``QemuNetFormat`` -> ``qemu_net``)."""
    return snake(fid.removesuffix("Format"))


def _formats_in(annotation: str) -> set[str]:
    return set(re.findall(r"\b(\w+Format)\b", annotation))


class _Builder:
    def __init__(self, schema: Mapping[str, Any], sha: str) -> None:
        self.schema = schema
        self.sha = sha
        self.nodes = {n["path"]: n for n in schema["paths"]}
        methods = {p: list(n["methods"]) for p, n in self.nodes.items()}
        self.tree = PathTree(self.nodes, methods)
        pve_names = {(v, p): m["name"] for p, n in self.nodes.items() for v, m in n["methods"].items()}
        self.names = name_operations(self.tree, pve_names)
        self.format_ids: dict[str, str] = {}
        self.format_models: dict[str, Model] = {}
        self._name_formats()

    # -- names -------------------------------------------------------------------------------------------

    def module_of(self, path: str) -> str:
        tokens = [py_ident(s).rstrip("_") for s in path.strip("/").split("/") if s and not param_of(s)]
        return "_".join(tokens) or "root"

    def class_of(self, path: str) -> str:
        segs = [s for s in path.strip("/").split("/") if s]
        literal = [s for s in segs if not param_of(s)]
        trailing = 0
        for s in reversed(segs):
            if not param_of(s):
                break
            trailing += 1
        base = pascal(*literal) if literal else "Root"
        if trailing == 0:
            return base
        extra = [pascal(param_of(s) or "") for s in segs[len(segs) - trailing + 1 :]]
        return base + "Item" + "".join(extra)

    def _format_contexts(self) -> list[tuple[str, str, Schema]]:
        """(name hint, context token, format) for every property-string format, in a stable order."""
        found: list[tuple[str, str, Schema]] = []
        for path in sorted(self.nodes):
            tokens = [s for s in path.strip("/").split("/") if s and not param_of(s)]
            context = tokens[1] if len(tokens) > 1 and tokens[0] == "nodes" else tokens[-1]
            for _verb, m in sorted(self.nodes[path]["methods"].items()):
                for pname, ps in sorted(m["parameters"]["properties"].items()):
                    for s in (ps, ps.get("items") or {}):
                        if "property_string" in s:
                            found.append((pname, context, s["property_string"]))
                    for alt in ps.get("one_of", []):
                        for s in (alt, alt.get("items") or {}):
                            if "property_string" in s:
                                found.append((pname, context, s["property_string"]))

                def walk(s: Any, hint: str, context: str = context) -> None:
                    if not isinstance(s, dict):
                        return
                    if "property_string" in s:
                        found.append((hint, context, s["property_string"]))
                    for k, v in (s.get("properties") or {}).items():
                        walk(v, k)
                    walk(s.get("items"), hint)
                    ap = s.get("additional_properties")
                    if isinstance(ap, dict):
                        walk(ap, hint)

                walk(m.get("returns"), "value")
        return found

    def _name_formats(self) -> None:
        contexts = self._format_contexts()
        by_base: dict[str, set[str]] = defaultdict(set)
        first: dict[str, tuple[str, str, Schema]] = {}
        for hint, context, fmt in contexts:
            canon = _canon(fmt)
            if canon not in first:
                first[canon] = (hint, context, fmt)
                by_base[pascal(py_ident(hint))].add(canon)
        taken: set[str] = set()
        for canon, (hint, context, _fmt) in first.items():
            base = pascal(py_ident(hint))
            name = base if len(by_base[base]) == 1 else pascal(context) + base
            candidate, n = name, 2
            while candidate in taken:
                candidate, n = f"{name}{n}", n + 1
            taken.add(candidate)
            self.format_ids[canon] = candidate + "Format"

    # -- types -------------------------------------------------------------------------------------------

    def format_model(self, fmt: Schema) -> str:
        fid = self.format_ids[_canon(fmt)]
        if fid not in self.format_models:
            fields: list[Field] = []
            used: set[str] = set()
            for key, sub in sorted(fmt.items()):
                if sub.get("alias"):
                    continue  # another spelling of a real key; parse() maps it
                ident = py_ident(key)
                while ident in used:
                    ident += "_"
                used.add(ident)
                ann = self.scalar_annotation(sub, request=True)
                required = not sub.get("optional")
                fields.append(
                    Field(
                        ident,
                        key if ident != key else None,
                        ann if required else f"{ann} | None",
                        _doc(sub.get("description", "")),
                    )
                )
            self.format_models[fid] = Model(fid, "PropertyString", tuple(fields), "", pve_format=fid)
        return fid

    def scalar_annotation(self, s: Schema, *, request: bool) -> str:
        t = s.get("type")
        if request and s.get("enum") and t in ("string", "integer", "number"):
            return _literal(list(s["enum"]))
        return {"boolean": "bool", "integer": "int", "number": "float", "string": "str"}.get(str(t), "Any")

    def request_annotation(self, s: Schema) -> str:
        if "property_string" in s:
            fmt = s["property_string"]
            ann = f"{self.format_model(fmt)} | str"
            # a bare number is the default key's value (`memory=2048` is `current=2048`)
            dkey: Schema = next((sub for sub in fmt.values() if sub.get("default_key")), {})
            number = {"integer": "int", "number": "float"}.get(str(dkey.get("type")))
            return f"{ann} | {number}" if number else ann
        if s.get("type") == "array":
            items = s.get("items") or {}
            return f"Sequence[{self.request_annotation(items) if items else 'Any'}]"
        if s.get("one_of"):
            return "Any"
        ann = self.scalar_annotation(s, request=True)
        if s.get("type") == "string" and str(s.get("format", "")).endswith("-list"):
            return f"{ann} | Sequence[str]"
        return ann

    # -- operations --------------------------------------------------------------------------------------

    def params(
        self, path: str, method: Schema, prefix: str
    ) -> tuple[tuple[Param, ...], str | None, tuple[tuple[str, str], ...]]:
        """Keyword parameters, and for methods with indexed families the TypedDict name and its keys."""
        path_params = set(self._path_params(path))
        out: list[Param] = []
        keys: list[tuple[str, str]] = []
        idents = keyword_names(method["parameters"]["properties"], path_params)  # the runtime's rule (pve_call)
        for name, s in sorted(method["parameters"]["properties"].items()):
            if name in path_params:
                continue
            ident = idents[name]
            family = name.endswith("[n]")
            ann = self.request_annotation(s)
            if family:
                low, high = s.get("index_range", (0, 0))
                keys += [(f"{name[:-3]}{i}", ann) for i in range(low, high + 1)]
                ann = f"Mapping[int, {ann}]"
            doc = _doc(s.get("description", ""))
            if family:
                low, high = s.get("index_range", (0, 0))
                doc = f"{doc} (as {{n: value}} with n in {low}..{high}, or {name[:-3]}N=... keyword arguments)"
            out.append(Param(name, ident, ann, not s.get("optional") and not family, family, doc))
        out.sort(key=lambda p: not p.required)
        indexed = f"{prefix}Indexed" if keys else None
        return tuple(out), indexed, tuple(sorted(keys, key=_key_order))

    @staticmethod
    def _path_params(path: str) -> list[str]:
        return [p for p in (param_of(s) for s in path.split("/")) if p]

    def returns(
        self, prefix: str, module_models: list[Model], method: Schema, verb: str, key: str = ""
    ) -> tuple[str, str]:
        r = method.get("returns") or {}
        if method.get("task"):
            task = f'self._task(_data, "{key}")' if key else "self._task(_data)"  # a non-UPID answer names the call
            if r.get("optional"):
                return "Task | None", f"None if _data is None else {task}"
            return "Task", task
        ann, parse = self.response_type(prefix, r, module_models, top=True)
        if r.get("optional") and ann not in ("None", "JsonValue"):
            return f"{ann} | None", f"None if _data is None else {parse}"
        return ann, parse

    def response_type(self, name: str, s: Schema, models: list[Model], *, top: bool = False) -> tuple[str, str]:
        t = s.get("type")
        if t == "object" or (t is None and ("properties" in s or "additional_properties" in s)):
            if s.get("properties"):
                model = self.response_model(name + ("Response" if top else ""), s, models)
                return f"_m.{model}", f"parse_model(_m.{model}, _data)"
            ap = s.get("additional_properties")
            if isinstance(ap, dict) and ap.get("properties"):
                model = self.response_model(name + "Entry", ap, models)
                return f"dict[str, _m.{model}]", f"parse_map(_m.{model}, _data)"
            return "dict[str, Any]", "as_dict(_data)"
        if t == "array":
            items = s.get("items") or {}
            if items.get("properties"):
                model = self.response_model(name + "Item", items, models)
                return f"builtins.list[_m.{model}]", f"parse_list(_m.{model}, _data)"
            item_ann = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}.get(
                str(items.get("type")), "Any"
            )
            return f"builtins.list[{item_ann}]", "as_list(_data)"
        if t == "string":
            return "str", "as_str(_data)"
        if t == "integer":
            return "int", "as_int(_data)"
        if t == "number":
            return "float", "as_float(_data)"
        if t == "boolean":
            return "bool", "as_bool(_data)"
        if t == "null":
            return "None", "None"
        # no declared shape (`{}`, a bare object, anything else): PVE's answer comes back as plain JSON
        return "JsonValue", "as_json(_data)"

    def response_model(self, name: str, s: Schema, models: list[Model]) -> str:
        fields: list[Field] = []
        used: set[str] = set()
        by_format: dict[str, list[str]] = defaultdict(list)
        families: dict[str, list[str]] = defaultdict(list)
        runtime: list[tuple[str, str]] = []
        for key, sub in sorted((s.get("properties") or {}).items()):
            if "property_string" in sub:
                fid = self.format_model(sub["property_string"])
                runtime.append((key.removesuffix("[n]"), fid))
                if key.endswith("[n]"):
                    low, high = sub.get("index_range", (0, 0))
                    by_format[fid] += [f"{key[:-3]}{i}" for i in range(low, high + 1)]
                    families[fid].append(key[:-3])
                else:
                    by_format[fid].append(key)
            if key.endswith("[n]"):
                continue  # net0, scsi3, ...: kept as extra fields, see ResponseModel.indexed()
            ident = py_ident(key)
            while ident in used:
                ident += "_"
            used.add(ident)
            ann = self.field_type(name + pascal(ident), sub, models)
            fields.append(
                Field(ident, key if ident != key else None, f"{ann} | None", _doc(sub.get("description", "")))
            )
        models.append(
            Model(
                name,
                "ResponseModel",
                tuple(fields),
                _doc(s.get("description", "")),
                ps_keys=tuple(
                    (fid, tuple(sorted(keys, key=lambda k: _key_order((k, "")))))
                    for fid, keys in sorted(by_format.items())
                ),
                ps_families=tuple((fid, tuple(sorted(f))) for fid, f in sorted(families.items())),
                ps_runtime=tuple(sorted(runtime)),
            )
        )
        return name

    def field_type(self, name: str, s: Schema, models: list[Model]) -> str:
        if "property_string" in s:
            return self.format_model(s["property_string"])  # parsed from PVE's text when it comes
        t = s.get("type")
        if (t == "object" or t is None) and s.get("properties"):
            return self.response_model(name, s, models)
        if t == "object":
            return "dict[str, Any]"
        if t == "array":
            items = s.get("items") or {}
            if items.get("properties"):
                return f"list[{self.response_model(name + 'Item', items, models)}]"
            if "property_string" in items:
                return f"list[{self.format_model(items['property_string'])}]"
            return f"list[{self.scalar_annotation(items, request=False)}]"
        return self.scalar_annotation(s, request=False)

    # -- assembly ----------------------------------------------------------------------------------------

    def build(self) -> Api:
        modules: dict[str, dict[str, Any]] = defaultdict(lambda: {"resources": [], "models": [], "formats": set()})
        ops_by_owner: dict[str, list[Operation]] = defaultdict(list)
        all_ops: list[Operation] = []
        for path in sorted(self.nodes):
            for verb, method in self.nodes[path]["methods"].items():
                names = self.names[(verb, path)]
                owner = names.sdk_owner
                module = self.module_of(owner)
                prefix = ("" if owner == "" else self.class_of(owner)) + pascal(names.sdk_method)
                params, indexed, indexed_keys = self.params(path, method, prefix)
                models: list[Model] = modules[module]["models"]
                ann, parse = self.returns(prefix, models, method, verb, f"{verb} {path}")
                perms = method.get("permissions") or {}
                flags = tuple(f for f in ("protected", "download_allowed", "expose_credentials") if method.get(f)) + (
                    () if method.get("allowtoken", True) else ("no-token",)
                )
                op = Operation(
                    key=f"{verb} {path}",
                    verb=verb,
                    path=path,
                    pve_name=method["name"],
                    description=_doc(method.get("description", "")),
                    permissions=_doc(
                        perms.get("description", "") or json.dumps(perms.get("check", "")).replace('"', "")
                    )
                    or "none declared",
                    names=names,
                    path_params=tuple(self._path_params(path)),
                    params=params,
                    indexed_annotation=indexed,
                    indexed_keys=indexed_keys,
                    returns=ann,
                    parse=parse,
                    task=bool(method.get("task")),
                    flags=flags,
                )
                ops_by_owner[owner].append(op)
                all_ops.append(op)
        for path in sorted(self.nodes):
            last = self.tree.last(path)
            if param_of(last) or self.tree.is_action_leaf(path):
                continue
            for p in self._chain(path):
                modules[self.module_of(path)]["resources"].append(self.resource(p, ops_by_owner.get(p, [])))
        built_modules: list[Module] = []
        for name, data in sorted(modules.items()):
            formats = sorted(
                {
                    t.strip()
                    for r in data["resources"]
                    for op in r.operations
                    for prm in op.params
                    for t in prm.annotation.replace("Mapping[int,", "")
                    .replace("Sequence[", "")
                    .replace("]", "")
                    .split("|")
                    if t.strip().endswith("Format")
                }
            )
            for r in data["resources"]:
                for op in r.operations:
                    for _key, ann in op.indexed_keys:
                        formats = sorted(set(formats) | _formats_in(ann))
            model_formats: set[str] = set()
            overload_formats: set[str] = set()
            for model in data["models"]:
                for f in model.fields:
                    model_formats |= _formats_in(f.annotation)
                overload_formats |= {fid for fid, _ in model.ps_keys}
            built_modules.append(
                Module(
                    name,
                    tuple(data["resources"]),
                    tuple(data["models"]),
                    tuple(formats),
                    tuple(sorted(model_formats)),
                    tuple(sorted(overload_formats - model_formats)),
                )
            )
        return Api(
            version=self.schema["version"],
            schema_sha=self.sha,
            modules=tuple(built_modules),
            formats=tuple(self.format_models[k] for k in sorted(self.format_models)),
            operations=tuple(all_ops),
            runtime_spec=self.runtime_spec(),
            format_ids=self.format_ids,
        )

    def _chain(self, path: str) -> list[str]:
        """A literal node and its chain of item nodes (``/ipset``, ``/ipset/{name}``, ``/ipset/{name}/{cidr}``)."""
        chain = [path]
        current = path
        while (child := self.tree.param_child(current)) is not None:
            chain.append(child)
            current = child
        return chain

    def resource(self, path: str, ops: list[Operation]) -> Resource:
        children: list[Child] = []
        for child in self.tree.children.get(path, []):
            if param_of(self.tree.last(child)) or self.tree.is_action_leaf(child):
                continue
            children.append(Child(attr_ident(self.tree.last(child)), self.class_of(child), self.module_of(child)))
        item_path = self.tree.param_child(path)
        item = None
        item_param = None
        item_ann = "str"
        if item_path is not None:
            item = Child("__call__", self.class_of(item_path), self.module_of(item_path))
            item_param = param_of(self.tree.last(item_path))
            for m in self.nodes[item_path]["methods"].values():
                ps = m["parameters"]["properties"].get(item_param or "", {})
                if ps.get("type") == "integer":
                    item_ann = "int | str"
                break
        return Resource(
            path=path,
            cls=self.class_of(path),
            module=self.module_of(path),
            doc=path,
            item=item,
            item_param=attr_ident(item_param) if item_param else None,
            item_param_annotation=item_ann,
            children=tuple(sorted(children, key=lambda c: c.attr)),
            operations=tuple(sorted(ops, key=lambda o: o.method)),
        )

    def runtime_spec(self) -> dict[str, Any]:
        formats: dict[str, Any] = {}

        def ref(s: Any) -> Any:
            if isinstance(s, dict):
                out = {k: ref(v) for k, v in s.items()}
                if "property_string" in s:
                    fid = self.format_ids[_canon(s["property_string"])]
                    formats[fid] = _strip_map(s["property_string"])
                    out["property_string"] = fid
                return out
            if isinstance(s, list):
                return [ref(v) for v in s]
            return s

        ops: dict[str, Any] = {}
        for path in sorted(self.nodes):
            for verb, m in sorted(self.nodes[path]["methods"].items()):
                entry: dict[str, Any] = {
                    "name": m["name"],
                    "params": ref(_strip_map(m["parameters"]["properties"])),
                    "additional": m["parameters"].get("additional_properties"),
                    "returns": ref(_strip_docs(m.get("returns") or {})),
                }
                if m.get("task"):
                    entry["task"] = True
                if not m.get("allowtoken", True):
                    entry["allowtoken"] = False
                if m.get("download_allowed"):
                    entry["download"] = True
                ops[f"{verb} {path}"] = entry
        return {
            "version": self.schema["version"],
            "ops": ops,
            "formats": dict(sorted(formats.items())),
            "paths": sorted(self.nodes),
        }


def build_api(schema: Mapping[str, Any], sha: str) -> Api:
    """Normalised schema -> IR."""
    return _Builder(schema, sha).build()
