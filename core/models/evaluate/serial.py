"""Results as plain JSON and back: every evaluation result is a frozen dataclass with ``to_dict()`` (lists,
floats, ``None`` for "not defined", through :func:`core.vocab.jsonable`) and ``from_dict()``, so it can
live in the registry's ``report_json`` and be drawn again later."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union, get_args, get_origin

from core.vocab import jsonable


def _from_json(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        for option in options:
            if isinstance(option, type) and dataclasses.is_dataclass(option) and isinstance(value, dict):
                return getattr(option, "from_dict")(value)  # noqa: B009  (a Serial result type)
        return _from_json(options[0], value) if len(options) == 1 else value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return getattr(tp, "from_dict")(value)  # noqa: B009  (a Serial result type)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json(args[0], v) for v in value)
        return tuple(_from_json(a, v) for a, v in zip(args, value))
    if origin is list:
        return [_from_json(args[0], v) for v in value]
    if origin is dict:
        return {k: _from_json(args[1], v) for k, v in value.items()}
    return value


class Serial:
    """Mixin: ``to_dict()`` gives plain JSON; ``from_dict()`` rebuilds the nested dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        return jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name in data:
                kwargs[f.name] = _from_json(hints[f.name], data[f.name])
        return cls(**kwargs)
