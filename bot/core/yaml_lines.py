"""Where each key of a YAML document is: the line numbers behind "file:line" messages."""

from __future__ import annotations

import yaml

KeyPath = tuple[str | int, ...]


def yaml_line_index(text: str) -> dict[KeyPath, int]:
    """Map each key path in a YAML document to its 1-based line number."""
    index: dict[KeyPath, int] = {}

    seen: set[int] = set()

    def walk(node: yaml.Node, path: KeyPath) -> None:
        index.setdefault(path, node.start_mark.line + 1)
        if id(node) in seen:  # an alias (*a) of a node already walked: nested aliases would
            return  # otherwise make this exponential ("billion laughs")
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*path, str(k.value))
                index[key] = k.start_mark.line + 1
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            walk(root, ())
    except (yaml.YAMLError, RecursionError):  # deep nesting: lines found so far, else line 1
        return index
    return index
