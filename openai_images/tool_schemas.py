"""The tool listing kept small: each tool's JSON Schemas written in their shortest equivalent form.

Many clients put every tool definition into the model's context on every turn, so each byte of
`tools/list` is paid for again and again. Pydantic writes an optional field as
`{"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Size"}`; the same
rule is `{"type": ["string", "null"]}`. A title repeats the property's name, and a null default is
what leaving the field out means anyway. Nothing a client may send or receive changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mcp_types as mt
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools.base import Tool

NULL = {"type": "null"}


def compact(schema: Any) -> Any:
    """`schema` without titles or null defaults, and with each `anyOf` of one plain type and null as a type list."""
    if isinstance(schema, list):
        return [compact(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    shorter = {
        key: {name: compact(field) for name, field in value.items()} if key == "properties" else compact(value)
        for key, value in schema.items()
        if key != "title" and not (key == "default" and value is None)
    }  # a property may be called "title" or "default": only the keywords go
    alternatives = shorter.get("anyOf")
    if not (isinstance(alternatives, list) and len(alternatives) == 2 and NULL in alternatives):
        return shorter
    [other] = [alternative for alternative in alternatives if alternative != NULL]
    if not isinstance(other.get("type"), str) or set(other) & set(shorter) - {"anyOf"}:
        return shorter  # a nested object or a clash of keywords: left as it is
    nullable = {**other, **{key: value for key, value in shorter.items() if key != "anyOf"}, "type": [other["type"], "null"]}
    if "enum" in other:
        nullable["enum"] = [*other["enum"], None]
    return nullable


def compact_tool(tool: Tool) -> Tool:
    """A copy of `tool` with compact input and output schemas."""
    output = None if tool.output_schema is None else compact(tool.output_schema)
    return tool.model_copy(update={"parameters": compact(tool.parameters), "output_schema": output})


class CompactSchemas(Middleware):
    """Lists every tool with compact schemas; calls are checked by the functions' own types, as before."""

    async def on_list_tools(
        self, context: MiddlewareContext[mt.ListToolsRequest], call_next: CallNext[mt.ListToolsRequest, Sequence[Tool]]
    ) -> Sequence[Tool]:
        return [compact_tool(tool) for tool in await call_next(context)]
