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
//   the area panel's neighbourhood band (/api/v2/crimes/compare), last outcomes
//   (/api/v2/outcomes/counts), stop and search (/api/v2/stops/counts) and hot spots, listed
//   and on the map (/api/v2/crimes/hotspots), equal the API's, over its 12- or 24-month window;
// - finding a place: a street name lists the places /api/v2/places answers, and choosing one
//   by keyboard opens its area; typed coordinates open theirs; a neighbourhood's name offers
//   it, and its page shows the boundary, contacts, team, priorities and events police.uk's
//   routes answer;
// - the month slider (moved with the arrow keys) and the category filter change what the map
//   shows, to what the API answers for the new month or category; the hash reloads the view;
// - the dashboard's every figure equals /api/v2/crimes/counts for its neighbourhood (and the
//   force's row the force's), and its columns sort, the small multiples (one uPlot chart per
//   row) following the table's order;
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
/** `YYYY-MM` plus `n` months (negative goes back). */
const addMonths = (month, n) => {
  const [y, m] = month.split("-").map(Number);
  const i = y * 12 + m - 1 + n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
};

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
    const trendMonths = Number(hash.get("window") || 12);
    if (urls.window !== trendMonths) fail(`after ${how} the panel counted ${urls.window} months, the hash says ${trendMonths}`);
    const from = addMonths(month, -(trendMonths - 1));
    const trend = await api(`/api/v2/crimes/counts?${query({ ...where, from, to: month, category })}`);
    const located = await api(`/api/locate-neighbourhood?q=${lat},${lng}`);
    const force = await api(`/api/v2/crimes/counts?${query({ force: located.force, from, to: month, category })}`);
    const trendRows = await page.$$eval("#area-trend-table tbody tr", (rows) => rows.map((r) => [r.dataset.month, ...[...r.querySelectorAll("td")].map((td) => td.textContent)]));
    const expectedRows = trend.months.map((m, i) => [m.month, m.missing ? null : m.total, force.months[i].missing ? null : force.months[i].total]);
    const shownRows = trendRows.map(([m, a, f]) => [m, number(a), number(f)]);
    if (JSON.stringify(shownRows) !== JSON.stringify(expectedRows)) fail(`after ${how} the trend shows ${JSON.stringify(shownRows)}, the API ${JSON.stringify(expectedRows)}`);
    if (!(await page.locator("#area-chart canvas").count())) fail(`after ${how} the area panel has no chart`);
    if (trendRows.length !== trendMonths) fail(`after ${how} the trend has ${trendRows.length} months, not ${trendMonths}`);
    for (const url of [urls.monthUrl, urls.trendUrl, urls.forceUrl, urls.compareUrl, urls.outcomesUrl, urls.stopsUrl, urls.hotspotsUrl]) {
      if (!url) fail(`after ${how} the area panel made no request for one of its sections: ${JSON.stringify(urls)}`);
      if (!(await page.locator(`#area a[href="${url}"]`).count())) fail(`the area panel does not link to ${url}`);
    }
    const areaText = await page.locator("#area").innerText();
    if (/\b(null|undefined|NaN)\b/.test(areaText)) fail(`after ${how} the area panel shows “null”, “undefined” or “NaN”: ${areaText}`);
    // The neighbourhood's band among its force's (/api/v2/crimes/compare).
    const compared = (await api(`/api/v2/crimes/compare?${query({ area: `neighbourhood:${located.force}/${located.neighbourhood}`, from, to: month, category })}`)).areas[0];
    const bandShown = await page.locator("#area-band-text").evaluate((p) => ({ band: p.dataset.band, rank: Number(p.dataset.rank), of: Number(p.dataset.of), perKm2: p.dataset.perKm2 }));
    const bandWanted = { band: compared.band.band, rank: compared.band.rank, of: compared.band.of, perKm2: String(compared.per_km2) };
    if (JSON.stringify(bandShown) !== JSON.stringify(bandWanted)) fail(`after ${how} the band shows ${JSON.stringify(bandShown)}, the API ${JSON.stringify(bandWanted)}`);
    // Last outcomes of the period's crimes (/api/v2/outcomes/counts).
    const outcomes = (await api(`/api/v2/outcomes/counts?${query({ ...where, from, to: month, category })}`)).last_outcomes.all;
    const outcomesShown = Object.fromEntries((await page.$$eval("#area-outcomes-table tr[data-outcome]", (rows) => rows.map((r) => [r.dataset.outcome, r.querySelector("td").textContent]))).map(([k, v]) => [k, number(v)]));
    const outcomesWanted = Object.fromEntries(Object.entries(outcomes.counts).filter(([, n]) => n > 0));
    if (outcomes.crimes) outcomesWanted.total = outcomes.crimes;
    if (sortedJson(outcomesShown) !== sortedJson(outcomesWanted)) fail(`after ${how} the outcomes show ${JSON.stringify(outcomesShown)}, the API ${JSON.stringify(outcomesWanted)}`);
    // Stop and search by object of search (/api/v2/stops/counts).
    const stops = await api(`/api/v2/stops/counts?${query({ ...where, from, to: month, by: "object_of_search" })}`);
    const stopsShown = Object.fromEntries((await page.$$eval("#area-stops-table tr[data-key]", (rows) => rows.map((r) => [r.dataset.key, [...r.querySelectorAll("td")].map((td) => td.textContent)]))).map(([k, v]) => [k, v.map(number)]));
    const stopsWanted = Object.fromEntries(stops.groups.map((g) => [g.key.object_of_search ?? "", [g.count, g.arrests]]));
    if (stops.total.count) stopsWanted.total = [stops.total.count, stops.total.arrests];
    if (sortedJson(stopsShown) !== sortedJson(stopsWanted)) fail(`after ${how} stop and search shows ${JSON.stringify(stopsShown)}, the API ${JSON.stringify(stopsWanted)}`);
    // Hot spots, listed and drawn (/api/v2/crimes/hotspots).
    const hotspots = (await api(`/api/v2/crimes/hotspots?${query({ ...where, from, to: month, category, limit: 10 })}`)).hotspots;
    const spotsShown = await page.$$eval("#area-hotspots-list li", (items) => items.map((li) => [Number(li.dataset.location), Number(li.dataset.total)]));
    const spotsWanted = hotspots.map((h) => [h.location_id, h.total]);
    if (JSON.stringify(spotsShown) !== JSON.stringify(spotsWanted)) fail(`after ${how} the hot spots are ${JSON.stringify(spotsShown)}, the API ${JSON.stringify(spotsWanted)}`);
    // Leaflet fades a removed tooltip out for 200 ms (opacity 0) before it leaves the page:
    // the previous area's labels are not counted.
    const spotLabels = await page.$$eval("#map .hotspot-label", (labels) => labels.filter((l) => l.style.opacity !== "0").length);
    if (spotLabels !== hotspots.length) fail(`after ${how} the map shows ${spotLabels} hot spots, the API ${hotspots.length}`);
    checked(`after ${how}: the area panel's ${Object.keys(onPage).length - 1} categories (${counts.total} crimes in ${month}), ${trendMonths}-month trend beside ${located.force}, band (${compared.band.band}), ${Object.keys(outcomesShown).length} last outcomes, ${stops.total.count} stops and ${hotspots.length} hot spots equal the API's for ${poly ? `the polygon ${poly}` : `${lat},${lng}`}`);
    return { month, total: counts.total };
  }
  await page.screenshot({ path: path.join(shots, "map-area-desktop.png") });
  await page.locator("#area").screenshot({ path: path.join(shots, "area-panel.png") });
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

  // Zoomed out past the crimes' zoom, the view's crimes are counted in squares of the API's
  // hot spot grid; zoomed back in, the places return.
  const hashZoom = () => page.evaluate(() => Number((location.hash.match(/map=(\d+)\//) || [])[1]));
  // One key press at a time, each awaited in the hash: Leaflet drops a zoom key pressed
  // while the last zoom is still animating.
  const zoomBy = async (steps, key) => {
    await page.focus("#map");
    for (let i = 0; i < steps; i++) {
      const before = await hashZoom();
      await page.keyboard.press(key);
      await page.waitForFunction((z) => Number((location.hash.match(/map=(\d+)\//) || [])[1]) !== z, before, { timeout: TIMEOUT_MS })
        .catch(() => fail(`pressing ${key} on the map did not change its zoom from ${before}`));
    }
  };
  await zoomBy(4, "Minus");
  const grid = await shown({ month: latest, category, grid: true });
  const gridAnswer = await api(grid.url);
  const gridSum = gridAnswer.cells.reduce((sum, c) => sum + c.total, 0);
  if (!grid.url.includes("/api/v2/crimes/hotspots?") || !grid.url.includes(`cell=${grid.cell}`)) fail(`zoomed out the map asked ${grid.url}`);
  if (gridAnswer.cells.length !== grid.cells || gridSum !== grid.crimes || gridSum !== gridAnswer.located) fail(`zoomed out the map shows ${grid.crimes} crimes in ${grid.cells} squares, the API ${gridAnswer.located} (${gridSum} in ${gridAnswer.cells.length} cells)`);
  if (grid.crimes < filtered.crimes) fail(`zoomed out the map counts ${grid.crimes} ${category} crimes, fewer than the ${filtered.crimes} of the view inside it`);
  if (!(await page.locator("#legend li[data-per-square]").count())) fail("zoomed out the legend shows no scale");
  await page.screenshot({ path: path.join(shots, "map-grid-desktop.png") });
  checked(`zoomed out, the map counts ${grid.crimes} ${category} crimes in ${grid.cells} squares of ${grid.cell} m, as ${grid.url} answers`);
  await zoomBy(4, "Equal");
  await shown({ month: latest, category, crimes: filtered.crimes });

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

  // ---- finding a place ----
  const unready = (id) => page.evaluate((id) => { delete document.getElementById(id).dataset.ready; }, id);
  const readyOf = async (id, how) => JSON.parse(await (await page.waitForFunction((id) => document.getElementById(id).dataset.ready, id, { timeout: TIMEOUT_MS })
    .catch(async () => fail(`#${id} did not fill after ${how}: ${await page.locator(`#${id}`).innerText().catch(() => "")}`))).jsonValue());
  // A street by name: the busiest snap point's, typed and sent with Enter.
  const busiest = (await api(`/api/v2/crimes/hotspots?${query({ from: latest, to: latest, limit: 1 })}`)).hotspots[0];
  const streetQuery = busiest.street.replace(/^On or near /, "");
  await unready("find-results");
  await page.fill("#find", streetQuery);
  await page.press("#find", "Enter");
  await readyOf("find-results", `searching for ${streetQuery}`);
  const placesAnswer = await api(`/api/v2/places?${query({ q: streetQuery, limit: 10 })}`);
  const streetsShown = await page.$$eval("#find-results button[data-location]", (buttons) => buttons.map((b) => Number(b.dataset.location)));
  const neighbourhoodsShown = await page.$$eval("#find-results button[data-neighbourhood]", (buttons) => buttons.map((b) => b.dataset.neighbourhood));
  if (JSON.stringify(streetsShown) !== JSON.stringify(placesAnswer.streets.map((p) => p.location_id))) fail(`searching ${streetQuery} lists places ${streetsShown}, the API ${placesAnswer.streets.map((p) => p.location_id)}`);
  if (JSON.stringify(neighbourhoodsShown) !== JSON.stringify(placesAnswer.neighbourhoods.map((n) => `${n.force}/${n.id}`))) fail(`searching ${streetQuery} lists neighbourhoods ${neighbourhoodsShown}`);
  // Streets of one name are told apart by the neighbourhood and force they lie in.
  const kindsShown = await page.$$eval("#find-results button[data-location] .kind", (spans) => spans.map((s) => s.textContent));
  placesAnswer.streets.forEach((p, i) => {
    const where = p.neighbourhood_name ? ` in ${p.neighbourhood_name}, ${p.force_name}` : " near ";
    if (!kindsShown[i].includes(where)) fail(`search result ${i} says “${kindsShown[i]}”, not “${where}”`);
  });
  const place = placesAnswer.streets.find((p) => p.street === busiest.street && p.south <= busiest.latitude && busiest.latitude <= p.north && p.west <= busiest.longitude && busiest.longitude <= p.east);
  if (!place) fail(`no place found for ${streetQuery} holds its busiest point ${busiest.latitude},${busiest.longitude}: ${JSON.stringify(placesAnswer.streets)}`);
  await unready("area");
  await page.focus(`#find-results button[data-location="${place.location_id}"]`);
  await page.keyboard.press("Enter");
  await checkArea(`choosing “${streetQuery}” (${place.snap_points} points) from the search`);
  const placeCircle = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get("circle");
  if (placeCircle !== `${place.latitude.toFixed(5)},${place.longitude.toFixed(5)}`) fail(`the found place is at ${place.latitude},${place.longitude}, the area at ${placeCircle}`);
  checked(`searching “${streetQuery}” lists the ${streetsShown.length} places /api/v2/places answers; choosing one by keyboard opens its area`);
  await page.screenshot({ path: path.join(shots, "map-find-desktop.png") });

  // Coordinates.
  const [clat, clng] = [Number(busiest.latitude).toFixed(4), Number(busiest.longitude).toFixed(4)];
  await unready("area");
  await page.fill("#find", `${clat}, ${clng}`);
  await page.press("#find", "Enter");
  await checkArea(`typing the coordinates ${clat}, ${clng}`);
  const typedCircle = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get("circle");
  if (typedCircle !== `${Number(clat).toFixed(5)},${Number(clng).toFixed(5)}`) fail(`typing ${clat}, ${clng} put the area at ${typedCircle}`);
  checked(`typing ${clat}, ${clng} opens the area there`);

  // A neighbourhood by name, then its page: boundary, contacts, team, priorities, events.
  // The busiest point's force's first neighbourhood with priorities and events (else its own).
  const located = await api(`/api/locate-neighbourhood?q=${busiest.latitude},${busiest.longitude}`);
  let home = located;
  for (const n of await api(`/api/${located.force}/neighbourhoods`)) {
    const [p, e] = await Promise.all([api(`/api/${located.force}/${n.id}/priorities`), api(`/api/${located.force}/${n.id}/events`)]);
    if (p.length && e.length) { home = { force: located.force, neighbourhood: n.id }; break; }
  }
  const homeDetail = await api(`/api/${home.force}/${home.neighbourhood}`);
  await unready("find-results");
  await page.fill("#find", homeDetail.name);
  await page.press("#find", "Enter");
  await readyOf("find-results", `searching for ${homeDetail.name}`);
  const homeKey = `${home.force}/${home.neighbourhood}`;
  if (!(await page.locator(`#find-results button[data-neighbourhood="${homeKey}"]`).count())) fail(`searching “${homeDetail.name}” does not offer ${homeKey}`);
  await page.click(`#find-results button[data-neighbourhood="${homeKey}"]`);
  const shownNeighbourhood = await readyOf("neighbourhood", `choosing ${homeKey}`);
  const [people, priorities, events] = await Promise.all(["people", "priorities", "events"].map((r) => api(`/api/${home.force}/${home.neighbourhood}/${r}`)));
  const teamShown = await page.$$eval("#neighbourhood-team li[data-name]", (items) => items.map((li) => li.dataset.name));
  if (JSON.stringify(teamShown) !== JSON.stringify(people.map((p) => p.name))) fail(`the team shows ${teamShown}, the API ${people.map((p) => p.name)}`);
  const listed = async (id) => page.locator(`#${id} > li`).count();
  if ((await listed("neighbourhood-priorities")) !== priorities.length || (await listed("neighbourhood-events")) !== events.length) fail(`priorities/events shown ${await listed("neighbourhood-priorities")}/${await listed("neighbourhood-events")}, the API ${priorities.length}/${events.length}`);
  const contactsShown = await page.$$eval("#neighbourhood-contacts dd", (dds) => dds.map((dd) => [dd.dataset.contact, dd.textContent]));
  const contactsWanted = Object.entries(homeDetail.contact_details || {}).filter(([, v]) => v);
  if (JSON.stringify(contactsShown) !== JSON.stringify(contactsWanted)) fail(`the contacts show ${JSON.stringify(contactsShown)}, the API ${JSON.stringify(contactsWanted)}`);
  const boundary = await fetch(`${base}/api/v2/forces/${home.force}/neighbourhoods/${home.neighbourhood}/boundary`);
  if (!shownNeighbourhood.boundary || !boundary.ok) fail(`the neighbourhood page drew no boundary for ${homeKey} (the API answered ${boundary.status})`);
  for (const url of ["detail", "people", "priorities", "events", "boundary"].map((key) => shownNeighbourhood.urls[key])) {
    if (!(await page.locator(`#neighbourhood a[href="${url}"]`).count())) fail(`the neighbourhood page does not link to ${url}`);
  }
  if (new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get("neighbourhood") !== homeKey) fail("the hash does not name the neighbourhood");
  checked(`searching “${homeDetail.name}” offers ${homeKey}; its page shows the boundary, ${contactsShown.length} contacts, ${people.length} officers, ${priorities.length} priorities and ${events.length} events, as police.uk's routes answer`);
  const neighbourhoodText = await page.locator("#neighbourhood").innerText();
  if (/\b(null|undefined|NaN)\b/.test(neighbourhoodText)) fail(`the neighbourhood page shows “null”, “undefined” or “NaN”: ${neighbourhoodText}`);
  await page.screenshot({ path: path.join(shots, "map-neighbourhood-desktop.png") });
  await page.locator("#neighbourhood").screenshot({ path: path.join(shots, "neighbourhood-panel.png") });

  // The trend window: 24 months.
  await unready("area");
  await page.selectOption("#trend-window", "24");
  await checkArea("the trend window set to 24 months");
  // The whole sidebar in one picture (a tall window): search, neighbourhood and area panels.
  await page.setViewportSize({ width: DESKTOP.width, height: 3000 });
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: path.join(shots, "map-panels-desktop.png"), clip: await page.locator(".sidebar").boundingBox() });
  await page.setViewportSize(DESKTOP);
  noProblems("finding places, the neighbourhood page and the trend window");

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
  // A long outcomes table is cut to its 5 largest rows on a phone, until "Show all".
  const outcomeRowsShown = () => page.$$eval("#area-outcomes-table tbody tr", (rows) => rows.map((r) => getComputedStyle(r).display !== "none"));
  const phoneRows = await outcomeRowsShown();
  if (phoneRows.length < 7) fail(`the shared area has ${phoneRows.length} outcome rows: too few to check the phone's cut`);
  if (phoneRows.filter(Boolean).length !== 5) fail(`on a phone ${phoneRows.filter(Boolean).length} of ${phoneRows.length} outcome rows show, not 5`);
  await page.click("#area-outcomes .show-all");
  if ((await outcomeRowsShown()).filter(Boolean).length !== phoneRows.length) fail("“Show all” does not show every outcome row on a phone");
  checked(`on a phone the outcomes table shows its 5 largest of ${phoneRows.length} rows until “Show all”`);
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
  // The small multiples: one chart per row, in the table's order, the force's last.
  const checkMultiples = async (how) => {
    const tableOrder = await page.$$eval("#dashboard-table tbody tr, #dashboard-table tfoot tr", (trs) => trs.map((tr) => tr.dataset.neighbourhood));
    const chartOrder = await page.$$eval("#multiples li.multiple", (items) => items.map((li) => li.dataset.neighbourhood));
    if (JSON.stringify(chartOrder) !== JSON.stringify(tableOrder)) fail(`${how}: the charts are in the order ${chartOrder}, the table ${tableOrder}`);
    const canvases = await page.locator("#multiples li.multiple canvas").count();
    if (canvases !== tableOrder.length) fail(`${how}: ${canvases} charts for ${tableOrder.length} rows`);
    checked(`${how}: ${canvases} small multiples (uPlot), in the table's order`);
  };
  await checkMultiples("the dashboard");
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
  await checkMultiples("sorted by change");

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
