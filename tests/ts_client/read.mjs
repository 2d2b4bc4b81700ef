// Reads one resource over Streamable HTTP with an official TypeScript MCP client, for tests/test_http_clients.py.
//
// Usage: node read.mjs CONFIG_JSON, where CONFIG_JSON has url (the MCP endpoint), uri (the resource), out (a file
// to write the first content's decoded blob to) and client: "sdk" (@modelcontextprotocol/sdk 1.x, which speaks
// 2025-11-25 and older) or "client-2025-11-25" / "client-2026-07-28" (@modelcontextprotocol/client 2.x, pinned to
// that protocol revision). Every client keeps its default settings. It prints one JSON object with the negotiated
// protocol version, the content's MIME type and the byte count; the test checks the bytes. It asserts nothing itself.
import { writeFileSync } from "node:fs";

const config = JSON.parse(process.argv[2]);
const clientInfo = { name: "openai-images-mcp-tests", version: "1" };
let client, transport, protocolVersion;

if (config.client === "sdk") {
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  client = new Client(clientInfo);
  transport = new StreamableHTTPClientTransport(new URL(config.url));
  await client.connect(transport);
  protocolVersion = transport.protocolVersion;
} else {
  const revision = config.client.replace(/^client-/, "");
  const { Client, StreamableHTTPClientTransport } = await import("@modelcontextprotocol/client");
  const modern = revision >= "2026-07-28";
  client = new Client(clientInfo, modern ? { versionNegotiation: { mode: { pin: revision } } } : {});
  transport = new StreamableHTTPClientTransport(new URL(config.url));
  await client.connect(transport);
  protocolVersion = client.getNegotiatedProtocolVersion();
}
try {
  const read = await client.readResource({ uri: config.uri });
  const [content] = read.contents;
  const bytes = Buffer.from(content.blob, "base64");
  writeFileSync(config.out, bytes);
  console.log(JSON.stringify({ protocolVersion, mimeType: content.mimeType, bytes: bytes.length }));
} finally {
  await client.close();
}
