"""openai_images: the package behind the openai-images MCP server; the root module openai_images_mcp.py serves it.

Importing the package imports nothing else, so `openai-images-mcp --version` stays fast and works on a
broken install. docs/architecture.md maps its modules as layers.
"""

__version__ = "0.10.0"
