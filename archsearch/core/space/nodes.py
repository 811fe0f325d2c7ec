"""The parts a search space is built from, and what each derives from its specs.

A space is a tree: a `Group` of named parameters, each a value spec (`Int`, `Float`, `Choice`), a
nested `Group`, a `Repeated` list of sub-spaces (a variable-length layer sequence), a `OneOf` whose
chosen option decides which fields follow (a layer's kind), or any of these under `When`, active
only while earlier parameters of its group hold given values (momentum only with SGD). A candidate's
values mirror the tree as plain JSON data: a dict per group, a list per `Repeated`, a dict with a
`kind` per `OneOf`; inactive parameters are absent.

Each node samples, gives its default, lists problems and repairs; variation (`space.variation`) and
the encodings DE and TPE read (`space.encodings`) walk the same tree, so no operator or strategy
writes a range of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from archsearch.core.params import Choice, Range

TAG = "kind"  # the key of a `OneOf`'s chosen option in its values


@dataclass(frozen=True)
class When:
    """`node` is active only while each named earlier parameter of the same group holds one of the given
    values: ``When(Float(0.0, 0.99), optimizer="sgd")`` or ``When(Int(1, 3), pool=(True,))``."""

    node: Node
    conditions: tuple[tuple[str, tuple[Any, ...]], ...]

    def __init__(self, node: Node, **conditions: Any) -> None:
        if not conditions:
            raise ValueError("When needs at least one condition, e.g. When(spec, optimizer='sgd')")
        object.__setattr__(self, "node", node)
        object.__setattr__(self, "conditions", tuple(
            (name, tuple(v) if isinstance(v, (tuple, list, set, frozenset)) else (v,))
            for name, v in conditions.items()))

    def active(self, siblings: Mapping[str, Any]) -> bool:
        return all(name in siblings and siblings[name] in allowed for name, allowed in self.conditions)


@dataclass(frozen=True)
class Group:
    """Named parameters in a fixed order (the order conditions, sampling and encodings follow)."""

    members: tuple[tuple[str, Node | When], ...]

    def __init__(self, members: Mapping[str, Node | When] | None = None, **named: Node | When) -> None:
        items = tuple({**(members or {}), **named}.items())
        for i, (name, member) in enumerate(items):
            if not isinstance(name, str) or not name or "." in name:
                raise ValueError(f"parameter name {name!r}: a non-empty name without dots")
            earlier = {n for n, _ in items[:i]}
            for other, _ in member.conditions if isinstance(member, When) else ():
                if other not in earlier:
                    raise ValueError(f"{name}: its condition names {other!r}, which is not an earlier parameter")
            node = member.node if isinstance(member, When) else member
            if not isinstance(node, (Choice, Range, Group, Repeated, OneOf)):
                raise TypeError(f"{name}: {node!r} is not a parameter (Int, Float, Choice, Group, Repeated, OneOf)")
        object.__setattr__(self, "members", items)

    def active(self, values: Mapping[str, Any]) -> list[tuple[str, Node]]:
        """The members active under `values` (conditions read the values of earlier members)."""
        return [(name, member.node if isinstance(member, When) else member) for name, member in self.members
                if not isinstance(member, When) or member.active(values)]

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, member in self.members:
            if not isinstance(member, When) or member.active(values):
                values[name] = sample(unwrap(member), rng)
        return values

    def default(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, member in self.members:
            if not isinstance(member, When) or member.active(values):
                values[name] = default(unwrap(member))
        return values

    def problems(self, values: Any, where: str) -> list[str]:
        if not isinstance(values, Mapping):
            return [f"{where or 'values'}: expected a table of parameters, got {values!r}"]
        known = {name for name, _ in self.members}
        found = [f"{join(where, name)}: not a parameter of this space" for name in values if name not in known]
        active = dict(self.active(values))
        for name, member in self.members:
            if name in active and name not in values:
                found.append(f"{join(where, name)}: missing")
            elif name in active:
                found += problems(active[name], values[name], join(where, name))
            elif name in values:
                found.append(f"{join(where, name)}: set, but its condition does not hold")
        return found

    def repair(self, values: Any, rng: np.random.Generator) -> dict[str, Any]:
        values = values if isinstance(values, Mapping) else {}
        repaired: dict[str, Any] = {}
        for name, member in self.members:
            if isinstance(member, When) and not member.active(repaired):
                continue
            node = unwrap(member)
            repaired[name] = repair(node, values[name], rng) if name in values else sample(node, rng)
        return repaired


@dataclass(frozen=True)
class Repeated:
    """A list of `min_length`..`max_length` items of one sub-space (a sequence of layers); its default is
    `default` or `min_length` (at least one) default items."""

    item: Node
    min_length: int
    max_length: int
    default: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.min_length <= self.max_length:
            raise ValueError(f"Repeated: need 0 <= min_length <= max_length, got {self.min_length}, {self.max_length}")
        if self.default is not None:
            object.__setattr__(self, "default", tuple(self.default))

    def sample(self, rng: np.random.Generator) -> list[Any]:
        return [sample(self.item, rng) for _ in range(int(rng.integers(self.min_length, self.max_length + 1)))]

    def problems(self, values: Any, where: str) -> list[str]:
        if not isinstance(values, (list, tuple)):
            return [f"{where}: expected a list, got {values!r}"]
        found = [] if self.min_length <= len(values) <= self.max_length else [
            f"{where}: {len(values)} items, allowed {self.min_length}..{self.max_length}"]
        for i, value in enumerate(values):
            found += problems(self.item, value, f"{where}[{i}]")
        return found

    def repair(self, values: Any, rng: np.random.Generator) -> list[Any]:
        items = [repair(self.item, v, rng) for v in (values if isinstance(values, (list, tuple)) else [])]
        del items[self.max_length:]
        while len(items) < self.min_length:
            items.insert(int(rng.integers(len(items) + 1)), sample(self.item, rng))
        return items


@dataclass(frozen=True)
class OneOf:
    """One of several named options, each a `Group` of its own fields: ``OneOf(conv=Group(filters=...),
    pool=Group())``. Its values are the option's fields with the option's name under `kind`."""

    options: tuple[tuple[str, Group], ...]
    default_option: str | None = None

    def __init__(self, options: Mapping[str, Group] | None = None, *, default: str | None = None,
                 **named: Group) -> None:
        items = tuple({**(options or {}), **named}.items())
        if not items:
            raise ValueError("OneOf needs at least one option")
        for name, option in items:
            if not isinstance(option, Group):
                raise TypeError(f"OneOf option {name!r}: a Group of its fields, got {option!r}")
            if any(member == TAG for member, _ in option.members):
                raise ValueError(f"OneOf option {name!r}: {TAG!r} is the option's own name, not a field")
        if default is not None and default not in dict(items):
            raise ValueError(f"OneOf: default {default!r} is not an option ({', '.join(dict(items))})")
        object.__setattr__(self, "options", items)
        object.__setattr__(self, "default_option", default)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.options)

    def option(self, name: str) -> Group:
        return dict(self.options)[name]

    def make(self, name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {TAG: name, **fields}

    def sample(self, rng: np.random.Generator, name: str | None = None) -> dict[str, Any]:
        name = name or self.names[int(rng.integers(len(self.names)))]
        return self.make(name, self.option(name).sample(rng))

    def default(self) -> dict[str, Any]:
        name = self.default_option or self.names[0]
        return self.make(name, self.option(name).default())

    def problems(self, values: Any, where: str) -> list[str]:
        if not isinstance(values, Mapping) or values.get(TAG) not in self.names:
            return [f"{where}: expected one of {', '.join(self.names)} (its {TAG!r}), got {values!r}"]
        fields = {k: v for k, v in values.items() if k != TAG}
        return self.option(values[TAG]).problems(fields, where)

    def repair(self, values: Any, rng: np.random.Generator) -> dict[str, Any]:
        if not isinstance(values, Mapping) or values.get(TAG) not in self.names:
            return self.sample(rng)
        fields = {k: v for k, v in values.items() if k != TAG}
        return self.make(values[TAG], self.option(values[TAG]).repair(fields, rng))


Node = Union[Choice, Range, Group, Repeated, OneOf]
Spec = (Choice, Range)


def unwrap(member: Node | When) -> Node:
    return member.node if isinstance(member, When) else member


def join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def sample(node: Node, rng: np.random.Generator) -> Any:
    return node.sample(rng)


def default(node: Node) -> Any:
    if isinstance(node, Spec):
        return node.first
    if isinstance(node, Repeated):
        if node.default is not None:
            return list(node.default)
        return [default(node.item) for _ in range(max(node.min_length, 1 if node.max_length else 0))]
    return node.default()


def problems(node: Node, value: Any, where: str) -> list[str]:
    if isinstance(node, Spec):
        return [] if node.contains(value) else [f"{where}: {value!r} outside {describe_spec(node)}"]
    return node.problems(value, where)


def repair(node: Node, value: Any, rng: np.random.Generator) -> Any:
    if isinstance(node, Spec):
        return node.nearest(value, rng)
    return node.repair(value, rng)


def describe_spec(spec: Choice | Range) -> str:
    if isinstance(spec, Choice):
        return "{" + ", ".join(repr(v) for v in spec.values) + "}"
    return f"{spec.low}..{spec.high}" + (" (log)" if spec.log else "")

