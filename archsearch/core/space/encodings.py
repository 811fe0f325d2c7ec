"""The two encodings of a space that strategies read, derived from its tree.

**Vector** (differential evolution, DEHB): a candidate is a point of the unit cube [0, 1]^D with one
coordinate per value spec, laid out depth first: a group's members in order (a conditional member's
coordinates are always there and used only while its condition holds); a `Repeated` list as one
coordinate for its length and `max_length` slots of its item's coordinates (slots past the length
are carried unused, recessive genes a later mutant may switch on); a `OneOf` as one coordinate for
the option and every option's coordinates after it (only the chosen one's are read). A choice maps u
to the value of index floor(u * n); a range maps u linearly, or on a log scale, rounded for integers.

**Define-by-run** (Optuna's TPE): the space is walked in the same order, each value asked for by
name as it becomes active: ``layers.depth``, then for item i ``layers.i.kind`` and that kind's fields
``layers.i.conv.filters``; a group's member ``training.learning_rate``. Names carry the option, so
two options' fields of one name never share a distribution.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from archsearch.core.params import Choice, Range
from archsearch.core.space.nodes import TAG, Group, Node, OneOf, Repeated, Spec, When, join, unwrap

_UNUSED = object()  # a coordinate the candidate does not use: drawn at random when encoding


def decode_unit(spec: Choice | Range, u: float) -> Any:
    if isinstance(spec, Range):
        return spec.from_unit(u)
    return spec.values[unit_slice(u, len(spec.values))]


def encode_unit(spec: Choice | Range, value: Any) -> float:
    if isinstance(spec, Range):
        return spec.to_unit(value)
    return (spec.values.index(value) + 0.5) / len(spec.values) if value in spec.values else 0.5


def unit_slice(u: float, n: int) -> int:
    """Which of n equal slices of [0, 1] holds u."""
    return min(int(u * n), n - 1) if u > 0 else 0


def vector_length(node: Node) -> int:
    if isinstance(node, Spec):
        return 1
    if isinstance(node, Group):
        return sum(vector_length(unwrap(member)) for _, member in node.members)
    if isinstance(node, Repeated):
        return 1 + node.max_length * vector_length(node.item)
    return 1 + sum(vector_length(option) for _, option in node.options)


def decode_vector(root: Group, vector: np.ndarray) -> dict[str, Any]:
    """The values a point of the cube stands for (before the space repairs them)."""
    return _decode(root, iter(np.clip(vector, 0.0, 1.0).tolist()))


def encode_vector(root: Group, values: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    """A point that decodes to `values`; coordinates the values do not use are drawn at random."""
    out: list[float] = []
    _encode(root, values, rng, out)
    return np.asarray(out)


def _decode(node: Node, units: Iterator[float]) -> Any:
    if isinstance(node, Spec):
        return decode_unit(node, next(units))
    if isinstance(node, Group):
        values: dict[str, Any] = {}
        for name, member in node.members:
            value = _decode(unwrap(member), units)  # always read: the layout does not depend on the values
            if not isinstance(member, When) or member.active(values):
                values[name] = value
        return values
    if isinstance(node, Repeated):
        length = node.min_length + unit_slice(next(units), node.max_length - node.min_length + 1)
        return [_decode(node.item, units) for _ in range(node.max_length)][:length]
    chosen = node.names[unit_slice(next(units), len(node.names))]
    fields = {name: _decode(option, units) for name, option in node.options}
    return node.make(chosen, fields[chosen])


def _encode(node: Node, value: Any, rng: np.random.Generator, out: list[float]) -> None:
    if isinstance(node, Spec):
        out.append(float(rng.random()) if value is _UNUSED else encode_unit(node, value))
    elif isinstance(node, Group):
        for name, member in node.members:
            _encode(unwrap(member), value.get(name, _UNUSED) if value is not _UNUSED else _UNUSED, rng, out)
    elif isinstance(node, Repeated):
        span = node.max_length - node.min_length + 1
        out.append(float(rng.random()) if value is _UNUSED
                   else (min(max(len(value) - node.min_length, 0), span - 1) + 0.5) / span)
        for slot in range(node.max_length):
            _encode(node.item, value[slot] if value is not _UNUSED and slot < len(value) else _UNUSED, rng, out)
    else:
        chosen = None if value is _UNUSED else value[TAG]
        out.append(float(rng.random()) if chosen is None else (node.names.index(chosen) + 0.5) / len(node.names))
        for name, option in node.options:
            _encode(option, value if name == chosen else _UNUSED, rng, out)


# ---- define-by-run -------------------------------------------------------------------------------
Suggest = Callable[[str, Spec, Any], Any]  # (name, spec, the known value or None) -> the value


def walk(root: Group, suggest: Suggest, known: dict[str, Any] | None = None) -> dict[str, Any]:
    """Walks the space in order, asking `suggest(name, spec, known value)` for each active value; with
    `known` (a candidate's values) each call is also handed the value the candidate has there."""
    return _walk_group(root, suggest, "", known)


def depth_spec(node: Repeated) -> Range:
    return Range(node.min_length, node.max_length, integer=True)


def _walk(node: Node, suggest: Suggest, where: str, known: Any) -> Any:
    if isinstance(node, Spec):
        return suggest(where, node, known)
    if isinstance(node, Group):
        return _walk_group(node, suggest, where, known)
    if isinstance(node, Repeated):
        length = suggest(f"{where}.depth", depth_spec(node), None if known is None else len(known))
        return [_walk(node.item, suggest, f"{where}.{i}", None if known is None else known[i])
                for i in range(length)]
    return _walk_option(node, suggest, where, known)


def _walk_option(node: OneOf, suggest: Suggest, where: str, known: Any) -> dict[str, Any]:
    chosen = suggest(f"{where}.{TAG}", Choice(node.names), None if known is None else known[TAG])
    return node.make(chosen, _walk_group(node.option(chosen), suggest, f"{where}.{chosen}", known))


def _walk_group(group: Group, suggest: Suggest, where: str, known: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, member in group.members:
        if isinstance(member, When) and not member.active(values):
            continue
        values[name] = _walk(unwrap(member), suggest, join(where, name), None if known is None else known.get(name))
    return values
