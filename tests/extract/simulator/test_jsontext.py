"""The JSON writer and templates give exactly the json module's bytes, in every style."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from extract.simulator.jsontext import Raw, Slot, Template, dumps

JSON_KWARGS: dict[str, dict[str, Any]] = {
    "compact": {"separators": (",", ":")}, "spaced": {}, "pretty": {"indent": 2},
}
SCALARS = (None, True, False, 0, -5, 2**70, 1.5, -0.0, 1e300, float("nan"), float("inf"),
           -float("inf"), "", "x", 'q"b\\s\n\t\u2028é😀\x00 %s %% <&>')


def reference(obj: Any, style: str) -> str:
    return json.dumps(obj, ensure_ascii=False, **JSON_KWARGS[style])


def random_json(rng: random.Random, depth: int = 0, str_keys: bool = False) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return rng.choice(SCALARS)
    if roll < 0.7:
        return [random_json(rng, depth + 1, str_keys) for _ in range(rng.randint(0, 4))]
    keys = ["a", "é", "k\n", "", "%"] + ([] if str_keys else [1, 2.5, None, True])
    return {rng.choice(keys): random_json(rng, depth + 1, str_keys)
            for _ in range(rng.randint(0, 4))}


def with_slots(rng: random.Random, node: Any, values: dict[str, Any]) -> Any:
    """`node` with some sub-values replaced by slots (their values collected in `values`)."""
    if rng.random() < 0.3:
        name = f"s{len(values)}"
        values[name] = node
        return Slot(name)
    if isinstance(node, dict):
        return {k: with_slots(rng, v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [with_slots(rng, v, values) for v in node]
    return node


@pytest.mark.parametrize("style", ["compact", "spaced", "pretty"])
def test_dumps_is_the_json_module(style):
    rng = random.Random(1)
    for _ in range(3000):
        obj = random_json(rng)
        assert dumps(obj, style) == reference(obj, style)


@pytest.mark.parametrize("style", ["compact", "spaced", "pretty"])
def test_templates_render_what_the_json_module_writes(style):
    rng = random.Random(2)
    for _ in range(1000):
        obj = {"k": random_json(rng, str_keys=True),
               "z%": [random_json(rng, str_keys=True), {"q": random_json(rng, str_keys=True)}]}
        values: dict[str, Any] = {}
        shape = with_slots(rng, obj, values)
        assert Template(shape, style).render(**values).text == reference(obj, style)
        # rendered items spliced into an envelope; pretty items know the indent they sit at
        item = Template(shape, style, pad="\n    ")
        envelope = {"n": 1, "items": [item.render(**values), item.render(**values)]}
        assert dumps(envelope, style) == reference({"n": 1, "items": [obj, obj]}, style)


def test_raw_parts_are_written_verbatim_and_slot_names_may_repeat():
    assert dumps({"a": [Raw('{"b":1}')], "c": 2}) == '{"a":[{"b":1}],"c":2}'
    twice = Template({"a": Slot("x"), "b": [Slot("x")]}, "spaced").render(x="<%s>")
    assert twice.text == '{"a": "<%s>", "b": ["<%s>"]}'
    with pytest.raises(TypeError):
        dumps({"a": object()})
