"""Named parameters and arithmetic over them in a description: ``weight: -g * J``.

A description may hold a top-level ``parameters:`` mapping (``{g: 5, eta: 2, J: 0.1}``); a
parameter is a number or an expression over the parameters above it. Anywhere a number is
expected, a string is an expression over the parameters: numbers, names, ``+ - * / // % **``,
unary minus, parentheses and the functions of :data:`FUNCTIONS`. Expressions are read with
:mod:`ast` and evaluated node by node (never ``eval``); Python's arithmetic decides the type,
so ``C_E // 4`` of an integer ``C_E`` is an integer (a connector's ``n``) and ``J * 5`` a float.

:func:`resolve` replaces every expression of a description by its value before validation,
so the values are checked (and hashed) like any other; strings where names belong (``model``,
``connector: all_to_all``, ``population``, ...) are left alone. Every error names the field's
path, the expression and what is allowed; an unknown name gets a "did you mean".
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from .errors import InvalidValueError, unknown

#: The functions an expression may call.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "log10": math.log10, "sin": math.sin,
    "cos": math.cos, "abs": abs, "min": min, "max": max, "round": round, "floor": math.floor, "ceil": math.ceil,
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
#: Keys whose string values are names or flags, not expressions (a flag's "false" is refused as a flag).
NAME_KEYS = frozenset({"name", "model", "receptor", "source", "target", "connector", "synapse", "kind",
                       "population", "variables", "native", "allow_autapses", "allow_multapses",
                       "allow_offgrid_times", "independent"})
#: The largest exponent ``**`` takes (``10 ** 10 ** 10`` would take all memory).
MAX_EXPONENT = 1000
ALLOWED = ("numbers, parameter names, + - * / // % **, parentheses and " + ", ".join(FUNCTIONS))


def evaluate(text: str, names: Mapping[str, float], where: str) -> float | int:
    """The value of the expression ``text`` over ``names``; raises naming ``where`` on any error."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise InvalidValueError(f"{where}: {text!r} is not an arithmetic expression ({error.msg}); allowed: "
                                f"{ALLOWED}.") from None
    try:
        value = _value(tree.body, names, text, where)
    except (ArithmeticError, ValueError, TypeError) as error:
        if isinstance(error, InvalidValueError):
            raise
        raise InvalidValueError(f"{where}: {text!r} cannot be evaluated ({error}).") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValueError(f"{where}: {text!r} is {value}, not a finite number.")
    return value


def _value(node: ast.expr, names: Mapping[str, float], text: str, where: str) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name):
        if not names:
            raise InvalidValueError(f"{where}: {text!r} uses the name {node.id!r}, but the description defines no "
                                    f"parameters (a top-level `parameters:` mapping).")
        if node.id not in names:
            raise unknown("name", node.id, f"{where} ({text!r})", names)
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand, names, text, where))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left, names, text, where), _value(node.right, names, text, where)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise InvalidValueError(f"{where}: {text!r} raises to the power {right:g}; at most {MAX_EXPONENT}.")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in FUNCTIONS:
            raise unknown("function", node.func.id, f"{where} ({text!r})", FUNCTIONS)
        return FUNCTIONS[node.func.id](*(_value(a, names, text, where) for a in node.args))
    raise InvalidValueError(f"{where}: {text!r} uses {ast.unparse(node)!r}, which an expression may not; "
                            f"allowed: {ALLOWED}.")


def parameters(data: Any) -> dict[str, float | int]:
    """The ``parameters:`` mapping evaluated in order: each may use the ones above it."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise InvalidValueError(f"parameters must be a mapping of names to numbers or expressions, got {data!r}.")
    known: dict[str, float | int] = {}
    for name, value in data.items():
        where = f"parameters.{name}"
        if not isinstance(name, str) or not name.isidentifier() or name in FUNCTIONS:
            raise InvalidValueError(f"{where}: {name!r} is not a parameter name (a letter or _, then letters, "
                                    f"digits or _; not one of the functions {', '.join(FUNCTIONS)}).")
        known[name] = _number(value, known, f"{where}, which may use only the parameters above it")
    return known


def _number(value: Any, names: Mapping[str, float], where: str) -> float | int:
    if isinstance(value, str):
        return evaluate(value, names, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidValueError(f"{where.split(',')[0]} must be a finite number or an expression, got {value!r}.")
    return value


def resolve(data: Mapping[str, Any]) -> dict[str, Any]:
    """The description with its ``parameters`` evaluated and every expression replaced by its value."""
    names = parameters(data.get("parameters"))
    out: dict[str, Any] = {key: _resolved(value, names, key) for key, value in data.items()
                           if key not in ("parameters", "name")}
    if "name" in data:
        out["name"] = data["name"]
    if "parameters" in data:
        out["parameters"] = names
    return out


def _resolved(value: Any, names: Mapping[str, float], where: str) -> Any:
    if isinstance(value, str):
        if not names and value.strip().isidentifier():
            return value  # a word where a number belongs, with no parameters at all: validation says so
        return evaluate(value, names, where)
    if isinstance(value, Mapping):
        return {key: (item if key in NAME_KEYS and _names(item) else _resolved(item, names, f"{where}.{key}"))
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolved(item, names, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def _names(value: Any) -> bool:
    """A name, or a list of names (``variables: [spikes, V_m]``)."""
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


__all__ = ["evaluate", "parameters", "resolve", "FUNCTIONS", "NAME_KEYS"]
