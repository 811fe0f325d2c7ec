"""A space as a JSON document: what a run directory records of the space it searched (`space.json`), so a
resumed run refuses a space that has changed since, and a reader sees what was searched."""

from __future__ import annotations

from typing import Any

from archsearch.core.params import Choice, Range
from archsearch.core.space.nodes import Group, Node, OneOf, Repeated, When, unwrap


def space_document(node: Node) -> dict[str, Any]:
    """The node and everything under it, as plain JSON data."""
    if isinstance(node, Choice):
        return {"choice": list(node.values), "default": node.first}
    if isinstance(node, Range):
        return {"int" if node.integer else "float": [node.low, node.high], "log": node.log, "default": node.first}
    if isinstance(node, Group):
        return {"group": {name: _member(member) for name, member in node.members}}
    if isinstance(node, Repeated):
        return {"repeated": space_document(node.item), "length": [node.min_length, node.max_length],
                "default": None if node.default is None else list(node.default)}
    assert isinstance(node, OneOf)
    return {"one_of": {name: space_document(option) for name, option in node.options}, "default": node.default_option}


def _member(member: Node | When) -> dict[str, Any]:
    document = space_document(unwrap(member))
    if isinstance(member, When):
        document["when"] = {name: list(values) for name, values in member.conditions}
    return document
