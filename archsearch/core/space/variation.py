"""Mutation and crossover derived from a space's tree, for spaces that bring none of their own.

Mutation walks down the tree choosing one thing to change, so structure and values are changed as
often as each other however long a sequence grows: in a group, one active parameter that can change;
in a `Repeated` list, an item added, removed or changed; in a `OneOf`, another option (keeping the
fields both options share) or one of its fields; a value takes a nearby value (`Range.perturb`,
`Choice.perturb`). Crossover is uniform over a group's parameters, recursive into nested groups, and
cut-and-splice on lists (a head of one parent joined to a tail of the other, so lengths vary). The
space repairs both results, so conditions switched on or off by the change are settled.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from archsearch.core.space.nodes import TAG, Group, Node, OneOf, Repeated, Spec, join, sample, unwrap

_ABSENT = object()


def mutate(root: Group, values: dict[str, Any], rng: np.random.Generator) -> tuple[dict[str, Any], str]:
    """A copy of `values` with one change, and the change's name (e.g. ``mutate_learning_rate``,
    ``add_layers``, ``switch_layers``); ``mutate_none`` where nothing can change."""
    values = copy.deepcopy(values)
    return values, _mutate_group(root, values, "", rng) or "mutate_none"


def crossover(root: Group, first: dict[str, Any], second: dict[str, Any],
              rng: np.random.Generator) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two children of two parents' values (not yet repaired)."""
    first, second = copy.deepcopy(first), copy.deepcopy(second)
    _cross_group(root, first, second, rng)
    return first, second


def can_change(node: Node, value: Any) -> bool:
    """Whether mutation can change `value` of `node` at all."""
    if isinstance(node, Spec):
        return not node.fixed
    if isinstance(node, Group):
        return any(name in value and can_change(child, value[name]) for name, child in node.active(value))
    if isinstance(node, Repeated):
        return node.min_length < node.max_length or any(can_change(node.item, item) for item in value)
    return len(node.names) > 1 or can_change(node.option(value[TAG]), value)


def _mutate_group(group: Group, values: dict[str, Any], where: str, rng: np.random.Generator) -> str | None:
    changeable = [(name, node) for name, node in group.active(values)
                  if name in values and can_change(node, values[name])]
    if not changeable:
        return None
    name, node = changeable[int(rng.integers(len(changeable)))]
    return _mutate_member(node, values, name, join(where, name), rng)


def _mutate_member(node: Node, container: Any, key: Any, where: str, rng: np.random.Generator) -> str | None:
    value = container[key]
    if isinstance(node, Spec):
        container[key] = node.perturb(value, rng)
        return f"mutate_{where}"
    if isinstance(node, Group):
        return _mutate_group(node, value, where, rng)
    if isinstance(node, Repeated):
        return _mutate_list(node, value, where, rng)
    return _mutate_option(node, container, key, where, rng)


def _mutate_list(node: Repeated, items: list[Any], where: str, rng: np.random.Generator) -> str | None:
    changeable = [i for i, item in enumerate(items) if can_change(node.item, item)]
    moves = (["add"] if len(items) < node.max_length else []) + (["remove"] if len(items) > node.min_length else [])
    moves += ["change"] if changeable else []
    move = moves[int(rng.integers(len(moves)))]
    if move == "add":
        items.insert(int(rng.integers(len(items) + 1)), sample(node.item, rng))
        return f"add_{where}"
    if move == "remove":
        del items[int(rng.integers(len(items)))]
        return f"remove_{where}"
    return _mutate_member(node.item, items, changeable[int(rng.integers(len(changeable)))], where, rng)


def _mutate_option(node: OneOf, container: Any, key: Any, where: str, rng: np.random.Generator) -> str | None:
    """Another option with probability 1 / (1 + the option's changeable fields), else one of its fields."""
    value = container[key]
    option = node.option(value[TAG])
    fields = sum(1 for name, child in option.active(value) if name in value and can_change(child, value[name]))
    if len(node.names) > 1 and rng.random() < 1 / (1 + fields):
        others = [name for name in node.names if name != value[TAG]]
        switched = node.sample(rng, others[int(rng.integers(len(others)))])
        shared = node.option(switched[TAG])
        for name, child in shared.active(switched):
            if name in value and isinstance(child, Spec) and child.contains(value[name]):
                switched[name] = value[name]  # what both kinds have keeps its value (e.g. an activation)
        container[key] = switched
        return f"switch_{where}"
    return _mutate_group(option, value, f"{where}.{value[TAG]}", rng)


def _cross_group(group: Group, first: dict[str, Any], second: dict[str, Any], rng: np.random.Generator) -> None:
    for name, member in group.members:
        node = unwrap(member)
        both = name in first and name in second
        if both and isinstance(node, Repeated) and isinstance(first[name], list) and isinstance(second[name], list):
            first[name], second[name] = cut_and_splice(first[name], second[name], rng)
        elif both and isinstance(node, Group) and isinstance(first[name], dict) and isinstance(second[name], dict):
            _cross_group(node, first[name], second[name], rng)
        elif rng.random() < 0.5:
            a, b = first.pop(name, _ABSENT), second.pop(name, _ABSENT)
            if b is not _ABSENT:
                first[name] = b
            if a is not _ABSENT:
                second[name] = a


def cut_and_splice(first: list[Any], second: list[Any], rng: np.random.Generator) -> tuple[list[Any], list[Any]]:
    """A head of each list joined to a tail of the other, cut at a point of each (so lengths change)."""
    i, j = int(rng.integers(len(first) + 1)), int(rng.integers(len(second) + 1))
    return first[:i] + second[j:], second[:j] + first[i:]
