"""Typed notebook parameters.

A report notebook's first code cell is tagged ``parameters`` and holds one
line per parameter::

    data_dir: str = "../data/sample"   # folder with the exported tables
    min_n: int = 30                    # smallest group shown with a rate
    segments: list[str] = []           # limit to these segments (empty: all)

:func:`read` parses that cell with :mod:`ast` (nothing is executed) into
:class:`Param` records; :func:`coerce` turns a ``-p key=value`` string (or a
value from ``reports.yml``) into the declared type, or raises
:class:`ParamError` with a plain message.  Values then go to papermill as typed
Python values; :func:`check_injected` re-parses the cell papermill generates
and refuses anything that is not a plain literal equal to the value given.
"""
from __future__ import annotations

import ast
import datetime as _dt
import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: the types a parameter may declare
TYPES = ("int", "float", "bool", "str", "list[str]", "list[int]", "list[float]")
_PY = {"int": int, "float": float, "bool": bool, "str": str}
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}
_FA_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class ParamError(ValueError):
    """A parameter problem the user can fix (unknown name, wrong type, bad cell)."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    help: str = ""


def _nb_json(notebook_path: str | Path) -> dict:
    try:
        return json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamError(f"notebook not found: {notebook_path}") from None
    except (OSError, ValueError) as e:
        raise ParamError(f"cannot read notebook {notebook_path}: {e}") from None


def parameters_source(nb: dict) -> str | None:
    """Source of the first code cell tagged ``parameters`` (None when there is none)."""
    for cell in nb.get("cells", []):
        tags = (cell.get("metadata") or {}).get("tags") or []
        if cell.get("cell_type") == "code" and "parameters" in tags:
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else src
    return None


def _comments(source: str) -> dict[int, str]:
    out = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return out


def _infer(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    for name in ("int", "float", "str"):
        if type(value) is _PY[name]:
            return name
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "list[str]"
    raise ParamError(f"cannot tell the type of default {value!r}; annotate it (name: type = default)")


def parse(source: str, where: str = "parameters cell") -> list[Param]:
    """Parse a parameters cell's source into :class:`Param` records."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise ParamError(f"{where}: line {e.lineno}: {e.msg}") from None
    comments = _comments(source)
    params: list[Param] = []
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, type_ = node.target.id, ast.unparse(node.annotation).replace(" ", "")
            if node.value is None:
                raise ParamError(f"{where}: parameter {name!r} has no default")
            value_node = node.value
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name)):
            name, type_, value_node = node.targets[0].id, None, node.value
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring-like note
        else:
            raise ParamError(f"{where}: line {node.lineno}: only 'name: type = default' lines belong here")
        try:
            default = ast.literal_eval(value_node)
        except ValueError:
            raise ParamError(f"{where}: default of {name!r} must be a literal "
                             f"(number, string, True/False, list)") from None
        if type_ is None:
            type_ = _infer(default)
        type_ = {"List[str]": "list[str]", "List[int]": "list[int]", "List[float]": "list[float]"}.get(type_, type_)
        if type_ not in TYPES:
            raise ParamError(f"{where}: parameter {name!r} has type {type_!r}; "
                             f"use one of {', '.join(TYPES)}")
        end = getattr(node, "end_lineno", node.lineno)
        help_ = comments.get(end) or comments.get(node.lineno) or ""
        p = Param(name, type_, default, help_)
        try:
            coerce(p, default)
        except ParamError:
            raise ParamError(f"{where}: default of {name!r} is not a {type_}") from None
        params.append(p)
    return params


def read(notebook_path: str | Path) -> list[Param]:
    """The typed parameters of a notebook (its cell tagged ``parameters``); [] when untagged."""
    src = parameters_source(_nb_json(notebook_path))
    if src is None:
        return []
    return parse(src, where=f"{Path(notebook_path).name}: parameters cell")


def _scalar(p: Param, type_: str, value: Any) -> Any:
    if isinstance(value, str):
        raw = value.strip()
        if type_ == "str":
            return value
        digits = raw.translate(_FA_DIGITS).replace("٫", ".").replace("_", "")
        if type_ == "bool":
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
            raise ParamError(f"parameter {p.name!r} is a bool (true/false), got {value!r}")
        if type_ == "int":
            if re.fullmatch(r"[+-]?\d+", digits):
                return int(digits)
            raise ParamError(f"parameter {p.name!r} is an int, got {value!r}")
        if type_ == "float":
            try:
                f = float(digits)
            except ValueError:
                raise ParamError(f"parameter {p.name!r} is a float, got {value!r}") from None
            if f != f or f in (float("inf"), float("-inf")):
                raise ParamError(f"parameter {p.name!r} must be a finite number, got {value!r}")
            return f
    # typed values (from reports.yml or a default)
    if type_ == "str":
        if isinstance(value, (_dt.date, _dt.datetime)):
            return value.isoformat()  # YAML turns 2024-01-31 into a date: dates travel as str
        raise ParamError(f"parameter {p.name!r} is a str, got {type(value).__name__} {value!r}")
    if type_ == "bool":
        if isinstance(value, bool):
            return value
    elif type_ == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif type_ == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    raise ParamError(f"parameter {p.name!r} is a {type_}, got {type(value).__name__} {value!r}")


def coerce(p: Param, value: Any) -> Any:
    """``value`` (a ``-p`` string or a typed value) as ``p``'s declared type.

    Dates travel as ``str``: a ``str`` parameter whose help mentions ``YYYY-MM-DD``
    must be empty or an ISO date."""
    out = _coerce(p, value)
    if p.type == "str" and "YYYY-MM-DD" in p.help and out:
        try:
            _dt.date.fromisoformat(out)
        except ValueError:
            raise ParamError(f"parameter {p.name!r} is a date (YYYY-MM-DD), got {value!r}") from None
    return out


def _coerce(p: Param, value: Any) -> Any:
    if p.type.startswith("list["):
        inner = p.type[5:-1]
        if isinstance(value, str):
            raw = value.strip()
            if raw.startswith("["):
                try:
                    value = json.loads(raw)
                except ValueError:
                    raise ParamError(f"parameter {p.name!r} is a {p.type}: give a,b,c or a JSON list, "
                                     f"got {value!r}") from None
            else:
                value = [v.strip() for v in raw.split(",") if v.strip()] if raw else []
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise ParamError(f"parameter {p.name!r} is a {p.type}, got {type(value).__name__} {value!r}")
        return [_scalar(p, inner, v) for v in value]
    return _scalar(p, p.type, value)


def resolve(params: list[Param], given: dict[str, Any], *, notebook: str = "") -> dict[str, Any]:
    """Check ``given`` against the declared ``params`` and coerce each value.

    Unknown names raise :class:`ParamError`."""
    declared = {p.name: p for p in params}
    out = {}
    for key, value in given.items():
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ParamError(f"unknown parameter {key!r} for {notebook or 'this notebook'} (it takes: {known})")
        try:
            out[key] = coerce(declared[key], value)
        except ParamError as e:
            raise ParamError(f"{notebook}: {e}" if notebook else str(e)) from None
    return out


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["key=value", ...]`` from ``-p`` options into a dict of strings."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ParamError(f"-p needs key=value, got {pair!r}")
        out[key] = value
    return out


def check_injected(source: str, expected: dict[str, Any]) -> None:
    """Refuse an injected-parameters cell that is anything but ``name = literal``
    lines whose values equal ``expected`` (defence in depth against injection)."""
    tree = ast.parse(source)
    seen = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            raise ParamError("injected parameters are not plain assignments; refusing to run")
        seen[node.targets[0].id] = ast.literal_eval(node.value)
    if seen != expected:
        raise ParamError("injected parameters differ from the values given; refusing to run")
