"""The HTTP floor for benchmarks/http_serving.py: the smallest FastMCP Streamable HTTP server, with one tool.

Started like `openai-images-mcp serve --http` (127.0.0.1, the port as its one argument, GET /healthz answered so
the bench waits for both alike) and asked the same requests by the same bare client, so the ratio of
the two request rates shows what our sign-in, edge layer, access log and larger tool list add on top
of what FastMCP's HTTP transport itself costs. Usage: python benchmarks/floor_http_server.py PORT
"""

import sys

from fastmcp import FastMCP
from starlette.requests import Request
from starlette.responses import JSONResponse

mcp = FastMCP("floor")


@mcp.tool
def echo(text: str) -> str:
    """Return `text` unchanged."""
    return text


@mcp.custom_route("/healthz", methods=["GET"])
async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


if __name__ == "__main__":
    mcp.run(transport="http", host="127.0.0.1", port=int(sys.argv[1]), show_banner=False, log_level="warning")
