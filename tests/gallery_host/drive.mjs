// Drives the gallery in headless Chromium (playwright-core) for tests/test_gallery_browser.py.
//
// Usage: node drive.mjs CONFIG_JSON, where CONFIG_JSON has url (the host page), chromium (its executable),
// images (how many the view should show first), screenshot (where to save one, taken with the variations'
// choice open), refine ({image_id, prompt}), variations ({image_id, count, expect_images}), download
// (an image_id), markup ({image_id, strokes, colour_after, undo_after, note}: each stroke [x0, y0, x1, y1] in
// fractions of the image, the colour picked after the first, Undo after stroke number undo_after) and gif
// ({image_id, frame_ms}: snapshots of the shown image over a few frames). It opens the host page, waits for
// the view's images to render, clicks each step's buttons, and prints one JSON object with what it saw; the
// test checks it. It asserts nothing itself.
import { createHash } from "node:crypto";
import { chromium } from "playwright-core";

const config = JSON.parse(process.argv[2]);
const TIMEOUT = 90_000;
const seen = { requests: [], console: [], steps: {} };

const browser = await chromium.launch({
  executablePath: config.chromium,
  headless: true,  // playwright passes --headless; it also gives the browser a new, empty user data dir
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
  timeout: TIMEOUT,
});
let page;
try {
  page = await browser.newPage({ viewport: { width: 1000, height: 820 }, deviceScaleFactor: 1 });
  page.setDefaultTimeout(TIMEOUT);
  page.on("request", (request) => seen.requests.push(request.url()));
  page.on("console", (message) => seen.console.push({ type: message.type(), text: message.text() }));
  page.on("pageerror", (error) => seen.console.push({ type: "pageerror", text: String(error) }));
  await page.goto(config.url);
  const frame = await (await page.waitForSelector("#view")).contentFrame();

  async function images(count) {
    // Every image of the view decoded (naturalWidth > 0), and exactly `count` of them.
    await frame.waitForFunction((n) => {
      const all = [...document.querySelectorAll("img[data-image-id]")];
      return all.length === n && all.every((img) => img.complete && img.naturalWidth > 0);
    }, count, { timeout: TIMEOUT });
    return await frame.evaluate(() => [...document.querySelectorAll("img[data-image-id]")].map((img) => (
      { image_id: img.dataset.imageId, width: img.naturalWidth, height: img.naturalHeight, shown_width: img.getBoundingClientRect().width }
    )));
  }
  async function callOf(name, after) {
    // The first tools/call of `name` the host received after the first `after` entries of its log.
    const handle = await page.waitForFunction(([tool, start]) => window.hostLog.slice(start).find(
      (entry) => entry.method === "tools/call" && entry.params.name === tool), [name, after], { timeout: TIMEOUT });
    return await handle.jsonValue();
  }
  const card = (imageId) => frame.locator(`figure[data-image-id="${imageId}"]`);
  const logLength = () => page.evaluate(() => window.hostLog.length);

  seen.steps.loaded = await images(config.images);
  seen.status = await frame.locator("#status").textContent();

  if (config.refine) {
    const start = await logLength();
    await card(config.refine.image_id).locator('[data-action="refine"]').click();
    await card(config.refine.image_id).locator('[data-form="refine"] textarea').fill(config.refine.prompt);
    await card(config.refine.image_id).locator('[data-action="send"]').click();
    seen.steps.refine_call = await callOf("openai_conversational_image", start);
    seen.steps.refined = await images(config.images + 1);
  }
  if (config.variations) {
    const start = await logLength();
    const before = (await frame.locator("img[data-image-id]").count());
    await card(config.variations.image_id).locator('[data-action="variations"]').click();
    if (config.screenshot) {  // the gallery with its "How many?" open, once the view's frame has painted it
      await frame.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      await page.waitForTimeout(300);
      await page.screenshot({ path: config.screenshot });
    }
    await card(config.variations.image_id).locator(`[data-count="${config.variations.count}"]`).click();
    seen.steps.variations_call = await callOf("openai_conversational_image", start);
    if (config.variations.expect_images) seen.steps.varied = await images(before + config.variations.count);
    else await frame.waitForFunction(() => !document.querySelector("button:disabled"), null, { timeout: TIMEOUT });
    seen.steps.after_variations_status = await frame.locator("#status").textContent();
  }
  if (config.download) {
    await card(config.download).locator('[data-action="download"]').click();
    await page.waitForFunction(() => window.downloads.length > 0, null, { timeout: TIMEOUT });
    const download = await page.evaluate(() => window.downloads[0].contents[0]);
    const bytes = Buffer.from(download.resource.blob, "base64");
    seen.steps.download = { uri: download.resource.uri, mime_type: download.resource.mimeType, bytes: bytes.length,
                            sha256: createHash("sha256").update(bytes).digest("hex") };
  }
  if (config.markup) {
    const markup = config.markup;
    const start = await logLength();
    const before = await frame.locator("img[data-image-id]").count();
    await card(markup.image_id).locator('[data-action="markup"]').click();
    const canvas = card(markup.image_id).locator(".sheet canvas");
    await frame.waitForFunction((id) => {
      const sheet = document.querySelector(`figure[data-image-id="${id}"] .sheet`);
      return sheet && sheet.querySelector("img") && sheet.querySelector("canvas").width > 0;
    }, markup.image_id, { timeout: TIMEOUT });
    seen.steps.canvas = await canvas.evaluate((node) => ({ width: node.width, height: node.height }));
    for (const [number, [x0, y0, x1, y1]] of markup.strokes.entries()) {
      const shown = await canvas.boundingBox();
      await canvas.hover({ position: { x: x0 * shown.width, y: y0 * shown.height } });  // scrolls the stroke's start into view
      const box = await canvas.boundingBox();
      await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
      await page.mouse.down();
      await page.mouse.move(box.x + x1 * box.width, box.y + y1 * box.height, { steps: 12 });
      await page.mouse.up();
      if (number === 0) await card(markup.image_id).locator('[data-role="colour"]').fill(markup.colour_after);
      if (number + 1 === markup.undo_after) await card(markup.image_id).locator('[data-action="undo"]').click();
    }
    await card(markup.image_id).locator('[data-form="markup"] textarea').fill(markup.note);
    await card(markup.image_id).locator('[data-action="send-markup"]').click();
    seen.steps.markup_call = await callOf("openai_gallery_markup", start);
    seen.steps.marked_up = await images(before + 1);
  }
  if (config.gif) {
    // Screenshots of the shown <img> about half a frame apart: an animation on screen gives more than one picture.
    // (Not drawImage onto a canvas: for an animated image it draws the first frame, as the HTML spec says.)
    const img = frame.locator(`img[data-image-id="${config.gif.image_id}"]`);
    const pictures = [];
    for (let index = 0; index < 8; index++) {
      pictures.push(createHash("sha256").update(await img.screenshot()).digest("hex"));
      await page.waitForTimeout(config.gif.frame_ms / 2);
    }
    seen.steps.gif = {
      ...(await img.evaluate((node) => ({ src: node.src, tag: node.tagName, width: node.naturalWidth, height: node.naturalHeight }))),
      distinct: new Set(pictures).size,
    };
  }
} catch (error) {
  seen.error = String(error && error.stack || error);
} finally {
  seen.host_log = page ? await page.evaluate(() => window.hostLog).catch(() => null) : null;
  await browser.close();
}
process.stdout.write(JSON.stringify(seen) + "\n");
