"""The start-up floor for benchmarks/startup.py: the smallest FastMCP stdio server, with one tool.

Spawned exactly like openai_images_mcp.py, so the ratio of the two start-up times shows what our
own imports and set-up add on top of what FastMCP itself costs.
"""

from fastmcp import FastMCP

mcp = FastMCP("floor")


@mcp.tool
def echo(text: str) -> str:
    """Return `text` unchanged."""
    return text


if __name__ == "__main__":
    mcp.run(show_banner=False)
