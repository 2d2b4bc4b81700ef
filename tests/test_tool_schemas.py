"""The tool listing: small enough for clients that send it every turn, and meaning what the full schemas meant."""

from __future__ import annotations

import json

import pytest
from fastmcp import Client
from jsonschema import Draft202012Validator

import openai_images_mcp
from openai_images import tool_schemas

LISTING_BUDGET_BYTES = 20_000  # issue 21: it was 34 KB; each peer's whole listing is 7-14 KB
PROBES = [None, "", "low", "auto", "png", "soonest", "quick", "1024x1024", "conv_x", 0, 1, 3, 4, 5, 101, -1, 0.5, True, [], ["a"], {}]


async def _listed() -> list[dict]:
    async with Client(openai_images_mcp.mcp) as client:
        tools = await client.list_tools()
    return [tool.model_dump(mode="json", exclude_none=True, by_alias=True) for tool in tools]


async def test_tools_list_stays_under_its_budget():
    listed = await _listed()
    size = len(json.dumps({"tools": listed}, separators=(",", ":")))
    assert {tool["name"] for tool in listed} >= {"openai_conversational_image", "openai_generate_image", "openai_get_image"}
    assert size < LISTING_BUDGET_BYTES, f"tools/list is {size} bytes"


def _nodes(schema: dict):
    """Every schema in `schema`, itself included (a property named "title" is a name, not a keyword)."""
    yield schema
    for key, value in schema.items():
        children = value.values() if key == "properties" else value if isinstance(value, list) else [value]
        yield from (node for child in children if isinstance(child, dict) for node in _nodes(child))


async def test_the_listing_is_compact_and_drops_no_parameter():
    full = {tool.name: tool for tool in await openai_images_mcp.mcp.list_tools()}
    for tool in await _listed():
        for node in [node for schema in (tool["inputSchema"], tool.get("outputSchema", {})) for node in _nodes(schema)]:
            assert "title" not in node and node.get("default", 0) is not None and {"type": "null"} not in node.get("anyOf", []), node
        assert set(tool["inputSchema"]["properties"]) == set(full[tool["name"]].parameters["properties"])
        assert tool["inputSchema"].get("required", []) == full[tool["name"]].parameters.get("required", [])
        for node in [node for schema in (tool["inputSchema"], tool.get("outputSchema", {})) for node in _nodes(schema)]:
            assert set(node.get("required", [])) <= set(node.get("properties", {})), node  # every required field is declared


@pytest.mark.parametrize("name", ["openai_conversational_image", "openai_generate_image", "openai_get_image", "openai_list_conversations"])
async def test_compact_schemas_accept_exactly_what_the_full_ones_accept(name):
    tool = {tool.name: tool for tool in await openai_images_mcp.mcp.list_tools()}[name]
    for schema in filter(None, [tool.parameters, tool.output_schema]):
        full, short = Draft202012Validator(schema), Draft202012Validator(tool_schemas.compact(schema))
        base = {key: "x" for key in schema.get("required", [])}
        for key in schema["properties"]:
            for value in PROBES:
                instance = {**base, key: value}
                assert full.is_valid(instance) == short.is_valid(instance), (name, key, value)


def test_compact_writes_an_optional_enum_as_a_nullable_type():
    optional = {"anyOf": [{"enum": ["a", "b"], "type": "string"}, {"type": "null"}], "default": None, "title": "Pick", "description": "d"}
    assert tool_schemas.compact(optional) == {"enum": ["a", "b", None], "type": ["string", "null"], "description": "d"}
    nested = {"anyOf": [{"type": "object", "properties": {"k": {"type": "string", "title": "K"}}}, {"type": "null"}]}
    assert tool_schemas.compact(nested) == {"type": ["object", "null"], "properties": {"k": {"type": "string"}}}
    assert tool_schemas.compact({"default": 0, "type": "integer"}) == {"default": 0, "type": "integer"}
    named = {"properties": {"title": {"type": "string", "title": "Title"}}, "required": ["title"]}
    assert tool_schemas.compact(named) == {"properties": {"title": {"type": "string"}}, "required": ["title"]}
