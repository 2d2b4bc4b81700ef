"""Benchmarks for openai-images-mcp: start-up, per image, memory, listing, result size, concurrency, renders, HTTP, S3.

Every figure is measured beside a floor taken in the same run on the same machine, because absolute times on a
shared 2-core machine swing by tens of percent from one minute to the next, while the ratio ours / floor stays
put. One module per phase measures its figures and its floors, and says in its docstring what the floor is:
startup, images (per image and result size), memory, listing, concurrency, renders, http_serving, s3. The rest
is shared: common (paths, settings, temporary folders, the fake OpenAI server), mcp_client (a bare MCP client),
processes, floor_worker (the bare per-image work), report (each figure beside its floor) and run (the command).

Everything talks to the fake OpenAI server from tests/fake_openai.py on 127.0.0.1, in temporary folders that are
removed at the end; its images are photo-like (about 1.6 MB as PNG at 1024x1024, ``FakeOpenAI.photo_like``), so
decoding, previews and stream parsing cost what real images cost. MCP messages go through a bare JSON-lines client
over the child's pipes, or bare JSON-RPC POSTs with httpx (the answer read whole, as JSON or SSE), so no
client-side MCP SDK is ever timed.

Run from the checkout: python -m benchmarks [--quick] [--only PHASE ...] (options: python -m benchmarks --help).
image_steps.py (python -m benchmarks.image_steps) splits the per-image overhead into its steps.
"""
