// Browser test of the interactive docs page (/docs, Swagger UI) of a running police-api.
//
//   node docs.test.mjs [BASE_URL]      (or BASE_URL=... / PORT=... in the environment)
//
// Starts Debian's headless Chromium (/usr/bin/chromium, or $CHROMIUM) through playwright-core
// and checks that: every operation of /api/openapi.json is listed on the page; the page made
// no request to any host other than the server's own; "Try it out" on
// GET /api/crimes-street/{category} (all-crime, lat 52.6297, lng -1.1316) shows a live 200
// whose body has "persistent_id". The server must be a `police-api demo` (its data has crimes
// there). Exits 1 with a message, and a screenshot path, on the first failure.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const base = (
  process.argv[2] ||
  process.env.BASE_URL ||
  `http://127.0.0.1:${process.env.PORT || "8080"}`
).replace(/\/+$/, "");
const baseHost = new URL(base).hostname;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT_MS = 30_000;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const TARGET = { method: "GET", path: "/api/crimes-street/{category}" };
const INPUTS = { category: "all-crime", lat: "52.6297", lng: "-1.1316" };

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};
const checked = (message) => console.log(`ok: ${message}`);

// Whatever happens, do not hang CI.
const watchdog = setTimeout(() => {
  console.error("FAIL: browser test did not finish within 180 s");
  process.exit(1);
}, 180_000);
watchdog.unref();

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "police-api-chromium-"));
let context;
let page;
let status = 0;
try {
  // The document the page should show, straight from the server.
  const response = await fetch(`${base}/api/openapi.json`).catch((e) =>
    fail(`cannot reach ${base}/api/openapi.json (is police-api demo running?): ${e.cause?.message || e.message}`),
  );
  if (!response.ok) fail(`GET ${base}/api/openapi.json answered ${response.status}`);
  const document = await response.json();
  const expected = new Set();
  for (const [p, item] of Object.entries(document.paths || {})) {
    for (const method of METHODS) if (item[method]) expected.add(`${method.toUpperCase()} ${p}`);
  }
  if (expected.size === 0) fail("/api/openapi.json lists no operations");
  checked(`/api/openapi.json (OpenAPI ${document.openapi}) lists ${expected.size} operations`);

  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    // Without the background-networking flags Chromium calls Google's hosts at start.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT_MS);

  // Every request the page makes (documents, scripts, styles, fetches, the Execute call).
  const requests = [];
  const foreign = [];
  const noteUrl = (url, kind) => {
    requests.push(url);
    const u = new URL(url);
    if (u.protocol === "data:" || u.protocol === "blob:" || u.protocol === "about:") return;
    if (u.hostname !== baseHost) foreign.push(`${kind} ${url}`);
  };
  page.on("request", (r) => noteUrl(r.url(), r.method()));
  page.on("websocket", (ws) => noteUrl(ws.url(), "WEBSOCKET"));
  const pageErrors = [];
  page.on("response", (r) => {
    if (r.status() >= 400) pageErrors.push(`${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });

  const docs = await page.goto(`${base}/docs`, { waitUntil: "load" });
  if (!docs || docs.status() !== 200) fail(`GET ${base}/docs answered ${docs && docs.status()}`);
  try {
    await page.waitForSelector("#swagger-ui .opblock", { timeout: TIMEOUT_MS });
  } catch {
    const err = await page.locator("#swagger-ui .errors-wrapper, #swagger-ui .loading-container").allInnerTexts();
    fail(`Swagger UI rendered no operation within ${TIMEOUT_MS / 1000} s ${JSON.stringify(err)} ${pageErrors.join("; ")}`);
  }
  const title = await page.locator("#swagger-ui .info .title").first().innerText();
  checked(`/docs rendered Swagger UI: "${title.replace(/\s+/g, " ").trim()}"`);

  // Open any collapsed tag (docExpansion "none" would hide operations) so all are in the DOM.
  for (const tag of await page.locator(".opblock-tag-section:not(.is-open) .opblock-tag").all()) {
    await tag.click();
  }
  const listed = await page.$$eval(".opblock", (blocks) =>
    blocks.map((b) => {
      const method = b.querySelector(".opblock-summary-method")?.textContent?.trim().toUpperCase();
      const p = b.querySelector(".opblock-summary-path");
      const pathText = p?.getAttribute("data-path") || p?.textContent?.replace(/\u200b/g, "").trim();
      return `${method} ${pathText}`;
    }),
  );
  const onPage = new Set(listed);
  const missing = [...expected].filter((op) => !onPage.has(op));
  const extra = [...onPage].filter((op) => !expected.has(op));
  if (missing.length) fail(`operations of /api/openapi.json missing from /docs:\n  ${missing.join("\n  ")}`);
  if (extra.length) fail(`operations on /docs that /api/openapi.json lacks:\n  ${extra.join("\n  ")}`);
  checked(`all ${expected.size} operations are listed on /docs (${listed.length} .opblock elements)`);
  const emptyTags = await page.$$eval(".opblock-tag-section", (sections) =>
    sections
      .filter((s) => !s.querySelector(".opblock"))
      .map((s) => s.querySelector(".opblock-tag")?.getAttribute("data-tag")),
  );
  if (emptyTags.length) console.log(`note: tags with no operation on /docs: ${emptyTags.join(", ")}`);

  // Try it out: GET /api/crimes-street/{category}.
  const op = page
    .locator(`.opblock.opblock-${TARGET.method.toLowerCase()}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${TARGET.path}"]`) });
  if ((await op.count()) !== 1) fail(`expected one ${TARGET.method} ${TARGET.path} block, found ${await op.count()}`);
  await op.locator(".opblock-summary").first().click();
  await op.locator(".opblock-body").waitFor();
  const tryOut = op.locator("button.try-out__btn");
  if ((await tryOut.count()) && /try it out/i.test(await tryOut.innerText())) await tryOut.click();
  for (const [name, value] of Object.entries(INPUTS)) {
    const input = op.locator(`tr[data-param-name="${name}"] input, tr[data-param-name="${name}"] select`).first();
    // Swagger UI renders the parameter rows after the block opens: wait for them.
    try {
      await input.waitFor({ state: "visible", timeout: TIMEOUT_MS });
    } catch {
      fail(`no input for parameter "${name}" of ${TARGET.method} ${TARGET.path}`);
    }
    await input.fill(value);
  }
  // The request Execute sends, seen on the wire as well as on the page.
  const sent = page.waitForResponse(
    (r) => new URL(r.url()).pathname === `/api/crimes-street/${INPUTS.category}`,
    { timeout: TIMEOUT_MS },
  );
  await op.locator("button.execute").click();
  let wire;
  try {
    wire = await sent;
  } catch {
    fail(`Execute sent no request to /api/crimes-street/${INPUTS.category} within ${TIMEOUT_MS / 1000} s`);
  }
  const query = new URL(wire.url()).searchParams;
  if (query.get("lat") !== INPUTS.lat || query.get("lng") !== INPUTS.lng) fail(`Execute sent ${wire.url()}, not lat=${INPUTS.lat}&lng=${INPUTS.lng}`);
  const live = op.locator(".live-responses-table");
  try {
    await live.locator(".response-col_status").first().waitFor({ timeout: TIMEOUT_MS });
  } catch {
    fail(`no live response shown within ${TIMEOUT_MS / 1000} s after Execute`);
  }
  const requestUrl = (await op.locator(".request-url pre").allInnerTexts()).join(" ").trim();
  const liveStatus = (await live.locator("tbody tr.response .response-col_status").first().innerText()).trim();
  const body = (await live.locator(".response-col_description pre").allInnerTexts()).join("\n");
  if (liveStatus !== "200") fail(`Execute on ${TARGET.method} ${TARGET.path} showed status ${liveStatus}: ${body.slice(0, 300)}`);
  if (!body.includes('"persistent_id"')) fail(`the live response body has no "persistent_id": ${body.slice(0, 300)}`);
  const crimes = (body.match(/"persistent_id"/g) || []).length;
  checked(`Try it out ${TARGET.method} ${TARGET.path} sent ${requestUrl || wire.url()}: live status 200, ${crimes} crimes with "persistent_id"`);

  await page.waitForLoadState("networkidle");
  if (foreign.length) fail(`the page made requests to hosts other than ${baseHost}:\n  ${foreign.join("\n  ")}`);
  checked(`all ${requests.length} requests of the page went to ${baseHost}`);
  if (pageErrors.length) console.log(`note (not a failure): ${pageErrors.join("; ")}`);
  console.log("browser test passed");
} catch (e) {
  status = 1;
  console.error(`FAIL: ${e instanceof Failure ? e.message : e.stack || e}`);
  if (page) {
    const shot = path.join(os.tmpdir(), `police-api-docs-failure-${Date.now()}.png`);
    try {
      await page.screenshot({ path: shot, fullPage: true });
      console.error(`screenshot: ${shot}`);
    } catch (err) {
      console.error(`(no screenshot: ${err.message})`);
    }
  }
} finally {
  if (context) await context.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(status);
