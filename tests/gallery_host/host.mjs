// The host side of MCP Apps for tests/test_gallery_browser.py, played by the ext-apps SDK's AppBridge.
//
// It reads what the test prepared (GET /boot.json: the view's HTML as resources/read gave it, the tools as
// tools/list gave them, and one generating call's arguments and result), puts the view in a sandboxed
// iframe under the spec's default CSP, and answers the view: tools/call goes to the test's bridge
// (POST /rpc), which calls the real server; ui/download-file and ui/update-model-context are kept.
// Everything the view asked for is in window.hostLog, for the test to check.
//
// One simplification: the spec's web hosts put a sandbox proxy page on a second origin between host and
// view. Here the iframe is sandboxed without allow-same-origin, which gives the view an opaque origin of
// its own, so it is just as cut off from the host page; the messages it exchanges are the same.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

// What a host must apply when the resource declares no CSP (spec: "Restrictive Default"), plus object-src.
const DEFAULT_CSP = [
  "default-src 'none'", "script-src 'self' 'unsafe-inline'", "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:", "media-src 'self' data:", "connect-src 'none'", "frame-src 'none'", "object-src 'none'",
].join("; ");

const hostLog = (window.hostLog = []);
window.downloads = [];

async function rpc(method, params) {
  const response = await fetch("/rpc", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ method, params }) });
  const answer = await response.json();
  if (answer.error) throw new Error(answer.error);
  return answer.result;
}

function withCsp(html) {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${DEFAULT_CSP}">`;
  return html.replace(/<head[^>]*>/i, (head) => head + meta);
}

async function start() {
  const boot = await (await fetch("/boot.json")).json();
  const tools = new Map(boot.tools.map((tool) => [tool.name, tool]));
  document.getElementById("call").textContent = `${boot.toolName} ${JSON.stringify(boot.toolArguments)}`;
  const iframe = document.createElement("iframe");
  iframe.id = "view";
  iframe.title = "Image gallery";
  iframe.setAttribute("sandbox", "allow-scripts");
  document.getElementById("host").append(iframe);

  const bridge = new AppBridge(
    null,
    { name: "gallery-test-host", version: "1.0.0" },
    { serverTools: {}, downloadFile: {}, updateModelContext: { text: {} }, logging: {} },
    {
      hostContext: {
        theme: "light", platform: "web", locale: "en-US", displayMode: "inline", availableDisplayModes: ["inline"],
        containerDimensions: { maxHeight: 20000 }, toolInfo: { tool: tools.get(boot.toolName) },
      },
    },
  );
  bridge.oncalltool = async (params) => {
    hostLog.push({ method: "tools/call", params });
    const visibility = tools.get(params.name)?._meta?.ui?.visibility ?? ["model", "app"];
    if (!tools.has(params.name) || !visibility.includes("app")) {
      throw new Error(`${params.name} is not a tool this view may call`);  // the spec's rule for hosts
    }
    return await rpc("tools/call", params);
  };
  bridge.ondownloadfile = async (params) => {
    hostLog.push({ method: "ui/download-file", params: { files: params.contents.map((item) => item.resource?.uri ?? item.uri) } });
    window.downloads.push(params);
    return {};
  };
  bridge.onupdatemodelcontext = async (params) => {
    hostLog.push({ method: "ui/update-model-context", params });
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height) iframe.style.height = `${height}px`;
  };
  bridge.oninitialized = () => {
    hostLog.push({ method: "ui/notifications/initialized" });
    bridge.sendToolInput({ arguments: boot.toolArguments });
    bridge.sendToolResult(boot.toolResult);
  };
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  iframe.srcdoc = withCsp(boot.html);
}

start().catch((error) => {
  hostLog.push({ method: "host-error", params: { message: String(error && error.stack || error) } });
});
