// Browser test of the web front end (/ and /dashboard) of a running `police-api demo`.
//
//   node web.test.mjs [BASE_URL] [SCREENSHOT_DIR]   (or BASE_URL=… / PORT=…, SCREENSHOT_DIR=…)
//
// In Debian's headless Chromium (/usr/bin/chromium, or $CHROMIUM) through playwright-core:
// - every page loads with no console error and no failed request;
// - the map shows the latest month's crimes in view, as many as /api/v2/crimes answers for
//   the same area (the base tiles, from another host, are answered here with a plain tile:
//   the test runs offline, and any other request to another host fails it);
// - clicking the map fills the area panel with the figures /api/v2/crimes/counts gives for a
//   one-mile circle there (the test builds the URLs itself from the clicked point), and its
//   trend beside the force's; the keyboard's "Area around the map centre" does the same;
// - the month slider (moved with the arrow keys) and the category filter change what the map
//   shows, to what the API answers for the new month or category; the hash reloads the view;
// - the dashboard's every figure equals /api/v2/crimes/counts for its neighbourhood (and the
//   force's row the force's), and its columns sort;
// - axe-core finds no serious or critical accessibility violation on either page, at desktop
//   and phone widths.
// Screenshots of each page at both widths go to SCREENSHOT_DIR (default target/web-screenshots).
// Exits 1 with a message, and a screenshot path, on the first failure.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const base = (process.argv[2] || process.env.BASE_URL || `http://127.0.0.1:${process.env.PORT || "8080"}`).replace(/\/+$/, "");
const baseHost = new URL(base).host;
const shots = path.resolve(process.argv[3] || process.env.SCREENSHOT_DIR || path.join(here, "../../target/web-screenshots"));
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const TIMEOUT_MS = 60_000;
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };
// A 1×1 off-white PNG, for the base tiles the test does not fetch.
const TILE = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP49P4lAAWhAstl7N0JAAAAAElFTkSuQmCC", "base64");

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};
const checked = (message) => console.log(`ok: ${message}`);
const watchdog = setTimeout(() => {
  console.error("FAIL: web browser test did not finish within 480 s");
  process.exit(1);
}, 480_000);
watchdog.unref();

async function api(pathAndQuery) {
  const response = await fetch(`${base}${pathAndQuery}`).catch((e) => fail(`cannot reach ${base}${pathAndQuery}: ${e.cause?.message || e.message}`));
  if (!response.ok) fail(`GET ${pathAndQuery} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
const query = (params) => new URLSearchParams(params).toString();
const number = (text) => (text.trim() === "–" ? null : Number(text.replace(/,/g, "")));

fs.mkdirSync(shots, { recursive: true });
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "police-api-chromium-"));
let context;
let page;
let status = 0;
const problems = []; // console errors, page errors, failed requests, foreign requests

try {
  const dates = await api("/api/crimes-street-dates");
  const months = dates.map((d) => d.date).sort();
  if (!months.length) fail("the server holds no months: is it a police-api demo?");
  const latest = months[months.length - 1];
  const previous = months[months.length - 2];

  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: DESKTOP,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === baseHost || url.protocol === "data:") return route.continue();
    if (/\/\d+\/\d+\/\d+\.png$/.test(url.pathname)) return route.fulfill({ status: 200, contentType: "image/png", body: TILE });
    problems.push(`request to another host: ${url}`);
    return route.abort();
  });
  const watch = (p) => {
    p.setDefaultTimeout(TIMEOUT_MS);
    p.on("pageerror", (e) => problems.push(`page error: ${e}`));
    p.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
    p.on("response", (r) => { if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`); });
    // ERR_ABORTED is the page cancelling a request (Leaflet drops the tiles of a view it
    // left; a navigation drops what is pending), on any host: not a failure.
    p.on("requestfailed", (r) => { if (!/ERR_ABORTED/.test(r.failure()?.errorText || "")) problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`); });
    return p;
  };
  const noProblems = (where) => {
    if (problems.length) fail(`${where}:\n  ${problems.join("\n  ")}`);
  };
  page = watch(context.pages()[0] ?? (await context.newPage()));

  const shown = async (expect) => {
    const handle = await page.waitForFunction((want) => {
      const text = document.getElementById("map").dataset.shown;
      if (!text) return null;
      const value = JSON.parse(text);
      return Object.entries(want).every(([k, v]) => value[k] === v) ? value : null;
    }, expect, { timeout: TIMEOUT_MS }).catch(async () => fail(`the map did not show ${JSON.stringify(expect)}: status "${await page.locator("#status").innerText()}"`));
    return handle.jsonValue();
  };
  const legend = async () => Object.fromEntries((await page.$$eval("#legend li", (items) => items.map((li) => [li.dataset.category, li.textContent]))).map(([slug, text]) => [slug, number(text.split(":").pop())]));
  const axe = async (where) => {
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    if (bad.length) fail(`axe-core on ${where}:\n  ${bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`).join("\n  ")}`);
    checked(`axe-core on ${where}: no serious or critical violation (${result.violations.length} minor)`);
  };

  // ---- the map ----
  // What the first page transfers from this server (compressed, as sent), tiles aside.
  const transfers = [];
  const noteTransfer = (r) => { if (new URL(r.url()).host === baseHost) transfers.push(r); };
  page.on("response", noteTransfer);
  const response = await page.goto(`${base}/`, { waitUntil: "load" });
  if (response?.status() !== 200) fail(`GET / answered ${response?.status()}`);
  const first = await shown({ month: latest, category: "all-crime" });
  await page.waitForLoadState("networkidle");
  page.off("response", noteTransfer);
  let transferred = 0;
  for (const r of transfers) {
    const sizes = await r.request().sizes();
    transferred += sizes.responseBodySize + sizes.responseHeadersSize;
  }
  if (transferred > 400 * 1024) fail(`the first page transferred ${transferred} bytes from ${baseHost}, over 400 KB`);
  checked(`the first page transferred ${(transferred / 1024).toFixed(1)} KB in ${transfers.length} responses (compressed, headers included; tiles aside)`);
  if (first.zoomIn || first.crimes === 0) fail(`the first view shows no crimes: ${JSON.stringify(first)}`);
  const firstAnswer = await api(first.url);
  if (firstAnswer.features.length !== first.crimes) fail(`the map shows ${first.crimes} crimes, ${first.url} answers ${firstAnswer.features.length}`);
  const places = new Set(firstAnswer.features.map((f) => f.geometry.coordinates.join(",")));
  if (places.size !== first.places) fail(`the map shows ${first.places} places, the answer has ${places.size} snap points`);
  const firstLegend = await legend();
  const legendSum = Object.values(firstLegend).reduce((a, b) => a + b, 0);
  if (legendSum !== first.crimes) fail(`the legend adds up to ${legendSum}, not ${first.crimes}`);
  checked(`/ shows ${first.crimes} crimes of ${latest} at ${first.places} places, as ${first.url} answers`);
  await page.waitForSelector("#map .leaflet-overlay-pane path, #map .leaflet-overlay-pane canvas");
  // Offline (`--tiles none`): no base layer, a plain background; otherwise the tile layer.
  const tiles = await page.locator('meta[name="police-tiles"]').getAttribute("content");
  const tileImages = await page.locator("#map img.leaflet-tile").count();
  if (tiles === "none" ? tileImages !== 0 || !(await page.locator("#map.no-tiles").count()) : tileImages === 0) fail(`tiles "${tiles}" but ${tileImages} tile images`);
  checked(tiles === "none" ? "--tiles none: no base layer, crimes and boundaries on a plain background" : `base tiles from ${tiles} (${tileImages} shown)`);
  await page.screenshot({ path: path.join(shots, "map-desktop.png") });

  // Click the middle of the map: the area panel counts a one-mile circle there.
  const box = await page.locator("#map").boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await checkArea("a click on the map");

  async function checkArea(how) {
    const ready = await page.waitForFunction(() => document.getElementById("area").dataset.ready, null, { timeout: TIMEOUT_MS })
      .catch(async () => fail(`the area panel did not fill after ${how}: ${await page.locator("#area").innerText()}`));
    const urls = JSON.parse(await ready.jsonValue());
    const hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    const poly = hash.get("poly");
    const [lat, lng] = poly
      ? (() => { const points = poly.split(":").map((p) => p.split(",").map(Number)); const lats = points.map((p) => p[0]); const lngs = points.map((p) => p[1]);
        return [((Math.min(...lats) + Math.max(...lats)) / 2).toFixed(5), ((Math.min(...lngs) + Math.max(...lngs)) / 2).toFixed(5)]; })()
      : (hash.get("circle") || "").split(",");
    if (!lat || !lng) fail(`after ${how} the hash names no area: ${hash}`);
    const where = poly ? { poly } : { lat, lng };
    const month = hash.get("month");
    const category = hash.get("category");
    // The test's own URL for the clicked point, to compare the page's figures with.
    const counts = await api(`/api/v2/crimes/counts?${query({ ...where, from: month, to: month })}`);
    const table = await page.$$eval("#area-category-table tr[data-category]", (rows) => rows.map((r) => [r.dataset.category, r.querySelector("td").textContent]));
    const onPage = Object.fromEntries(table.map(([slug, text]) => [slug, number(text)]));
    const expected = Object.fromEntries(Object.entries(counts.totals).filter(([, n]) => n > 0));
    expected.total = counts.total;
    const sortedJson = (o) => JSON.stringify(Object.entries(o).sort());
    if (sortedJson(onPage) !== sortedJson(expected)) fail(`after ${how} the area panel shows ${JSON.stringify(onPage)}, the API ${JSON.stringify(expected)}`);
    if (counts.total === 0) fail(`after ${how}: no crimes within a mile of ${lat},${lng} in ${month}; the test wants a busy place`);
    const from = (() => { const [y, m] = month.split("-").map(Number); const i = y * 12 + m - 1 - 11; return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`; })();
    const trend = await api(`/api/v2/crimes/counts?${query({ ...where, from, to: month, category })}`);
    const located = await api(`/api/locate-neighbourhood?q=${lat},${lng}`);
    const force = await api(`/api/v2/crimes/counts?${query({ force: located.force, from, to: month, category })}`);
    const trendRows = await page.$$eval("#area-trend-table tbody tr", (rows) => rows.map((r) => [r.dataset.month, ...[...r.querySelectorAll("td")].map((td) => td.textContent)]));
    const expectedRows = trend.months.map((m, i) => [m.month, m.missing ? null : m.total, force.months[i].missing ? null : force.months[i].total]);
    const shownRows = trendRows.map(([m, a, f]) => [m, number(a), number(f)]);
    if (JSON.stringify(shownRows) !== JSON.stringify(expectedRows)) fail(`after ${how} the trend shows ${JSON.stringify(shownRows)}, the API ${JSON.stringify(expectedRows)}`);
    if (!(await page.locator("#area-chart canvas").count())) fail(`after ${how} the area panel has no chart`);
    for (const url of [urls.monthUrl, urls.trendUrl, urls.forceUrl]) {
      if (!(await page.locator(`#area a[href="${url}"]`).count())) fail(`the area panel does not link to ${url}`);
    }
    checked(`after ${how}: the area panel's ${Object.keys(onPage).length - 1} categories (${counts.total} crimes in ${month}) and 12-month trend beside ${located.force} equal the API's for ${poly ? `the polygon ${poly}` : `${lat},${lng}`}`);
    return { month, total: counts.total };
  }
  await page.screenshot({ path: path.join(shots, "map-area-desktop.png") });
  await page.locator(".area").screenshot({ path: path.join(shots, "area-panel.png") });
  noProblems("the map page");

  // The month slider, by keyboard: one month back.
  if (previous) {
    await page.focus("#month");
    await page.keyboard.press("ArrowLeft");
    const back = await shown({ month: previous, category: "all-crime" });
    const backAnswer = await api(back.url);
    if (!back.url.includes(`from=${previous}&to=${previous}`)) fail(`the map asked ${back.url} for ${previous}`);
    if (backAnswer.features.length !== back.crimes) fail(`for ${previous} the map shows ${back.crimes} crimes, the API ${backAnswer.features.length}`);
    if (back.url === first.url) fail("moving the slider did not change what the map asks for");
    const label = await page.locator("#month-label").innerText();
    const area = await checkArea(`the month slider moved to ${previous}`);
    if (area.month !== previous) fail(`the area panel stayed on ${area.month}`);
    checked(`the month slider moved the map to ${label} (${back.crimes} crimes, as the API answers) and the area panel with it`);
    await page.keyboard.press("ArrowRight");
    await shown({ month: latest, category: "all-crime" });
  }

  // The category filter: the map shows exactly the legend's count of that category.
  const [category, expectedCount] = Object.entries(firstLegend).sort((a, b) => b[1] - a[1])[0];
  await page.selectOption("#category", category);
  const filtered = await shown({ month: latest, category });
  if (filtered.crimes !== expectedCount) fail(`filtered to ${category} the map shows ${filtered.crimes} crimes, the unfiltered legend said ${expectedCount}`);
  const filteredLegend = await legend();
  if (Object.keys(filteredLegend).join() !== category) fail(`filtered to ${category} the legend shows ${JSON.stringify(filteredLegend)}`);
  const filteredAnswer = await api(filtered.url);
  if (filteredAnswer.features.some((f) => f.properties.category !== category) || filteredAnswer.features.length !== filtered.crimes) fail(`${filtered.url} does not match the map`);
  await checkArea(`the category filter set to ${category}`);
  checked(`the category filter showed only ${category}: ${filtered.crimes} crimes, as the legend counted and the API answers`);

  // By keyboard: the area around the map centre.
  await page.evaluate(() => { delete document.getElementById("area").dataset.ready; });
  await page.focus("#centre-area");
  await page.keyboard.press("Enter");
  await checkArea("“Area around the map centre” by keyboard");

  // Drawing a polygon: three corners clicked, then Finish.
  await page.evaluate(() => { delete document.getElementById("area").dataset.ready; });
  await page.click("#draw");
  for (const [fx, fy] of [[0.3, 0.3], [0.7, 0.35], [0.5, 0.75]]) await page.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
  await page.click("#finish-draw");
  await checkArea("drawing a triangle");
  await page.screenshot({ path: path.join(shots, "map-polygon-desktop.png") });
  await page.evaluate(() => { delete document.getElementById("area").dataset.ready; });
  await page.focus("#centre-area");
  await page.keyboard.press("Enter");
  await checkArea("“Area around the map centre” again");

  // The hash is shareable: a new page from the same URL shows the same.
  const shared = page.url();
  if (!/#map=\d+\/[-\d.]+\/[-\d.]+&month=\d{4}-\d\d&category=/.test(new URL(shared).hash)) fail(`the hash holds no view: ${shared}`);
  await axe("/ (desktop, with the area panel)");
  noProblems("the map page");
  page = watch(await context.newPage());
  await page.setViewportSize(PHONE);
  await page.goto(shared, { waitUntil: "load" });
  const again = await shown({ month: latest, category });
  if (again.crimes === 0) fail(`${shared} on a phone-sized page shows nothing`);
  await page.waitForFunction(() => document.getElementById("area").dataset.ready, null, { timeout: TIMEOUT_MS });
  checked(`${shared} opens the same view (${again.crimes} ${category} crimes, the area panel) on a phone-sized page`);
  await page.screenshot({ path: path.join(shots, "map-phone.png") });
  await page.screenshot({ path: path.join(shots, "map-phone-full.png"), fullPage: true });
  await axe("/ (phone)");
  noProblems("the map page on a phone");

  // ---- the dashboard ----
  await page.setViewportSize(DESKTOP);
  const dash = await page.goto(`${base}/dashboard`, { waitUntil: "load" });
  if (dash?.status() !== 200) fail(`GET /dashboard answered ${dash?.status()}`);
  const checkDashboard = async () => {
    const choice = JSON.parse(await (await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 120_000 })).jsonValue());
    const rows = await page.$$eval("#dashboard-table tbody tr, #dashboard-table tfoot tr", (trs) => trs.map((tr) => ({
      neighbourhood: tr.dataset.neighbourhood,
      months: [...tr.querySelectorAll("td[data-month]")].map((td) => [td.dataset.month, td.dataset.value]),
      baseline: tr.querySelector('td[data-key="baseline"]').dataset.value,
      period: tr.querySelector('td[data-key="period"]').dataset.value,
      change: tr.querySelector('td[data-key="change"]').dataset.value,
    })));
    const neighbourhoods = await api(`/api/${choice.force}/neighbourhoods`);
    if (rows.length !== neighbourhoods.length + 1) fail(`the dashboard has ${rows.length} rows for ${neighbourhoods.length} neighbourhoods and the force`);
    const value = (v) => (v === null || v === undefined ? "" : String(v));
    let figures = 0;
    for (const row of rows) {
      const area = row.neighbourhood ? { force: choice.force, neighbourhood: row.neighbourhood } : { force: choice.force };
      const answer = await api(`/api/v2/crimes/counts?${query({ ...area, category: choice.group, from: choice.from, to: choice.to, baseline_from: choice.baseline_from, baseline_to: choice.baseline_to })}`);
      const all = answer.baseline.categories.find((c) => c.category === "all");
      const expected = {
        months: answer.months.map((m) => [m.month, m.missing ? "" : String(m.total)]),
        baseline: value(all.baseline_mean), period: value(all.period_mean), change: value(all.change_percent),
      };
      const got = { months: row.months, baseline: row.baseline, period: row.period, change: row.change };
      if (JSON.stringify(got) !== JSON.stringify(expected)) fail(`dashboard row ${row.neighbourhood || "(force)"}: ${JSON.stringify(got)}, the API ${JSON.stringify(expected)}`);
      figures += row.months.length + 3;
    }
    checked(`the dashboard's ${figures} figures (${rows.length - 1} neighbourhoods of ${choice.force} and the force, ${choice.group}, ${choice.from}…${choice.to} against ${choice.baseline_from}…${choice.baseline_to}) equal /api/v2/crimes/counts`);
    return choice;
  };
  const choice = await checkDashboard();
  await page.screenshot({ path: path.join(shots, "dashboard-desktop.png") });

  // Sorting: by change, descending then ascending.
  for (const direction of ["descending", "ascending"]) {
    await page.click('button[data-sort="change"]');
    await page.waitForSelector(`th[aria-sort="${direction}"] button[data-sort="change"]`);
    const values = (await page.$$eval('#dashboard-table tbody td[data-key="change"]', (tds) => tds.map((td) => td.dataset.value))).filter((v) => v !== "").map(Number);
    const sorted = [...values].sort((a, b) => (direction === "ascending" ? a - b : b - a));
    if (JSON.stringify(values) !== JSON.stringify(sorted)) fail(`sorted ${direction} by change, the rows read ${values}`);
  }
  checked("the dashboard sorts by change, descending and ascending");

  // Another category group reloads the figures.
  const otherGroup = choice.group === "violence" ? "asb" : "violence";
  await page.evaluate(() => { delete document.body.dataset.ready; });
  await page.selectOption("#group", otherGroup);
  const reloaded = await checkDashboard();
  if (reloaded.group !== otherGroup) fail(`choosing ${otherGroup} left the dashboard on ${reloaded.group}`);
  await axe("/dashboard (desktop)");
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: path.join(shots, "dashboard-phone.png") });
  await axe("/dashboard (phone)");
  noProblems("the dashboard");
  console.log(`screenshots in ${shots}`);
  console.log("web browser test passed");
} catch (e) {
  status = 1;
  console.error(`FAIL: ${e instanceof Failure ? e.message : e.stack || e}`);
  if (page) {
    const shot = path.join(shots, `failure-${Date.now()}.png`);
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
