"""JSON text, byte-identical to the json module's, in the styles the platforms write.

Styles follow the json module, always with ensure_ascii=False:
    compact   separators=(",", ":")
    spaced    the default separators (", ", ": "), as Python clients write (Reddit)
    pretty    indent=2 (Google)

`dumps` uses the C encoder for compact and spaced; for pretty the json module only has a
slow pure-Python generator encoder, so a direct recursive writer replaces it.

A `Template` encodes an object's shape once, with `Slot`s where values vary, and renders
an item by formatting the encoded values into that text. It pays where most of an item is
fixed keys and constants (Reddit's ~95-key links) or pretty-printed (YouTube); for small
compact objects the C encoder is as fast. Rendered items are `Raw` parts, which `dumps`
writes as they are.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

encode_str = json.encoder.encode_basestring  # the C encoder's, when available


class _HasRaw(Exception):
    """The C encoder met a `Raw` part: the object needs `splice`."""


def _no_raw(obj: Any) -> Any:
    if type(obj) is Raw:
        raise _HasRaw
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_ENCODERS = {
    "compact": json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False,
                                default=_no_raw),
    "spaced": json.JSONEncoder(ensure_ascii=False, check_circular=False, default=_no_raw),
}
_SEPARATORS = {"compact": (",", ":"), "spaced": (", ", ": ")}
_CONSTANTS = {None: "null", True: "true", False: "false"}
_FLOATS = {math.inf: "Infinity", -math.inf: "-Infinity"}


class Raw:
    """JSON text to be written as is."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text!r})"


@dataclass(frozen=True)
class Slot:
    """Where a `Template` takes a value."""

    name: str


def dumps(obj: Any, style: str = "compact") -> str:
    """Exactly what json.dumps gives for `obj` in `style` (see the module docstring), with
    `Raw` parts written as they are."""
    if style == "pretty":
        return encode(obj, style)
    try:
        return _ENCODERS[style].encode(obj)
    except _HasRaw:
        return splice(obj, style)


def encode(value: Any, style: str, pad: str = "\n") -> str:
    """`value` as JSON text; `pad` is the newline and indent of its line (pretty only)."""
    kind = type(value)
    if kind is str:
        return encode_str(value)
    if kind is int:
        return int.__repr__(value)
    if kind is Raw:
        return value.text
    if style != "pretty":
        return dumps(value, style)
    out: list[str] = []
    _write(value, out, style, pad)
    return "".join(out)


def splice(obj: Any, style: str = "compact") -> str:
    """`dumps` for objects that hold `Raw` parts, written in Python."""
    out: list[str] = []
    _write(obj, out, style, "\n")
    return "".join(out)


def _write(obj: Any, out: list[str], style: str, pad: str) -> None:
    """Append `obj` to `out` as the json module would write it."""
    if type(obj) is Raw:
        out.append(obj.text)
    elif isinstance(obj, str):
        out.append(encode_str(obj))
    elif obj is None or obj is True or obj is False:
        out.append(_CONSTANTS[obj])
    elif isinstance(obj, int):
        out.append(int.__repr__(obj))
    elif isinstance(obj, float):
        out.append(_float(obj))
    elif isinstance(obj, (list, tuple, dict)):
        if not obj:
            out.append("{}" if isinstance(obj, dict) else "[]")
            return
        if style == "pretty":
            inner = pad + "  "
            item_sep, key_sep, close = "," + inner, ": ", pad
        else:
            inner = close = ""
            item_sep, key_sep = _SEPARATORS[style]
        if isinstance(obj, dict):
            sep = "{" + inner
            for key, value in obj.items():
                out.append(sep)
                out.append(encode_str(key if isinstance(key, str) else _key(key)))
                out.append(key_sep)
                _write(value, out, style, inner)
                sep = item_sep
            out.append(close + "}")
        else:
            sep = "[" + inner
            for item in obj:
                out.append(sep)
                _write(item, out, style, inner)
                sep = item_sep
            out.append(close + "]")
    else:
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _float(value: float) -> str:
    return float.__repr__(value) if math.isfinite(value) else _FLOATS.get(value, "NaN")


def _key(key: Any) -> str:
    """A non-str dict key as the json module converts it."""
    if isinstance(key, float):
        return _float(key)
    if key is None or key is True or key is False:
        return _CONSTANTS[key]
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


class Template:
    """A JSON object of fixed shape: `render(**values)` fills its `Slot`s (a name may be
    used in several places).

    The shape is encoded once with a marker string in each slot; rendering only encodes
    the slot values and formats them into the text between the markers. For "pretty",
    `pad` is the newline and indent of the line the rendered object will start on.
    """

    def __init__(self, shape: Any, style: str = "compact", pad: str = "\n"):
        names: list[str] = []

        def mark(node: Any) -> Any:
            if isinstance(node, Slot):
                names.append(node.name)
                return f"\x00{len(names) - 1}\x00"  # JSON-encoded as "\u0000<n>\u0000"
            if isinstance(node, dict):
                return {k: mark(v) for k, v in node.items()}
            if isinstance(node, (list, tuple)):
                return [mark(v) for v in node]
            return node

        # `pad` in front: the first line is indented like the line the object starts on
        text = pad + encode(mark(shape), style, pad)
        chunks, pads = [], []
        for i, name in enumerate(names):
            marker = encode_str(f"\x00{i}\x00")
            if text.count(marker) != 1:
                raise ValueError(f"the shape holds the marker text of slot {name!r}")
            head, text = text.split(marker)
            line = head[head.rfind("\n") + 1:]
            chunks.append(head)
            pads.append("\n" + line[:len(line) - len(line.lstrip(" "))])
        chunks.append(text)
        chunks[0] = chunks[0][len(pad):]
        self.style = style
        self.names = tuple(names)
        self._slots = tuple(zip(names, pads, strict=True))
        self._format = "%s".join(chunk.replace("%", "%%") for chunk in chunks)

    def render(self, **values: Any) -> Raw:
        try:  # the usual case: every value a plain scalar
            encoded = tuple([_FAST[type(v)](v) for v in map(values.__getitem__, self.names)])
        except KeyError:
            encoded = tuple(self._encode(values))
        return Raw(self._format % encoded)

    def _encode(self, values: dict[str, Any]) -> list[str]:
        """The slot values as JSON text, in slot order."""
        style, fast_for, out = self.style, _FAST.get, []
        for name, pad in self._slots:
            value = values[name]
            fast = fast_for(type(value))
            out.append(fast(value) if fast is not None else encode(value, style, pad))
        return out


# Encoders for the scalar types slot values mostly have (exact types only: subclasses,
# such as an IntEnum, go through `encode`).
_FAST: dict[type, Any] = {
    str: encode_str, int: int.__repr__, float: _float, bool: _CONSTANTS.__getitem__,
    type(None): _CONSTANTS.__getitem__,
}
