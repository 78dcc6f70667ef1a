// The map page (/): crimes of a month in the visible area, grouped by snap point and coloured
// by category; a month slider and a category filter; force and neighbourhood boundaries; an
// area panel for a clicked place (a one-mile circle) or a drawn polygon. Reads only this
// server's API; the state (centre, zoom, month, category, area) lives in the URL's hash.
"use strict";

(() => {
  const { apiUrl, getJSON, addMonths, monthLabel, monthSeconds, fmt, categoryColour, readHash, writeHash, el, apiLink } = Police;

  const ONE_MILE_M = 1609.344;
  const MIN_CRIME_ZOOM = 12; // below this the visible area is too large to list its crimes
  const MAX_CRIMES = 10000; // /api/v2/crimes's largest page

  const $ = (id) => document.getElementById(id);
  const mapElement = $("map");
  const status = $("status");

  const state = { month: null, category: "all-crime", area: null };
  let months = []; // oldest first
  let categories = []; // /api/crime-categories, all-crime first
  const categoryName = (slug) => (categories.find((c) => c.url === slug) || { name: slug }).name;

  // The map, with or without base tiles.
  const tiles = document.querySelector('meta[name="police-tiles"]').content;
  const map = L.map(mapElement, { preferCanvas: true, zoomSnap: 1 });
  if (tiles && tiles !== "none") {
    const attribution = /openstreetmap\.org/.test(tiles)
      ? '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
      : `Tiles: ${new URL(tiles.replace(/[{}]/g, "")).host}`;
    L.tileLayer(tiles, { maxZoom: 19, attribution }).addTo(map);
  } else {
    mapElement.classList.add("no-tiles");
  }
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  const boundaryLayer = L.layerGroup().addTo(map);
  const crimeLayer = L.layerGroup().addTo(map);
  const areaLayer = L.layerGroup().addTo(map);

  // ---- URL hash ----
  function saveHash() {
    const centre = map.getCenter();
    const params = { map: `${map.getZoom()}/${centre.lat.toFixed(5)}/${centre.lng.toFixed(5)}`, month: state.month, category: state.category };
    if (state.area?.kind === "circle") params.circle = `${state.area.lat.toFixed(5)},${state.area.lng.toFixed(5)}`;
    if (state.area?.kind === "poly") params.poly = polyParam(state.area.points);
    writeHash(params);
  }
  const polyParam = (points) => points.map(([lat, lng]) => `${lat.toFixed(5)},${lng.toFixed(5)}`).join(":");
  function parsePoly(text) {
    const points = (text || "").split(":").map((p) => p.split(",").map(Number));
    return points.length >= 3 && points.every((p) => p.length === 2 && p.every(Number.isFinite)) ? points : null;
  }

  // ---- boundaries: the force at the map's centre ----
  const boundariesLoaded = new Set();
  async function showBoundariesAround(centre) {
    let located;
    try {
      located = await getJSON(apiUrl("/api/locate-neighbourhood", { q: `${centre.lat.toFixed(5)},${centre.lng.toFixed(5)}` }));
    } catch {
      return null; // outside every neighbourhood held
    }
    if (!boundariesLoaded.has(located.force)) {
      boundariesLoaded.add(located.force);
      try {
        const collection = await getJSON(`/api/v2/forces/${encodeURIComponent(located.force)}/neighbourhoods/boundaries`);
        collection.features = collection.features.filter((f) => f.geometry);
        L.geoJSON(collection, { interactive: false, style: { color: "#444", weight: 1.2, opacity: 0.7, fill: false } }).addTo(boundaryLayer);
      } catch (error) {
        boundariesLoaded.delete(located.force);
        console.warn(String(error));
      }
    }
    return located;
  }

  // ---- crimes of the month in view ----
  let crimesRequest = null;
  let crimesUrl = null; // what is shown or being fetched
  async function showCrimes() {
    if (!state.month) return;
    const b = map.getBounds();
    const [s, w, n, e] = [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map((v) => v.toFixed(5));
    const url = map.getZoom() < MIN_CRIME_ZOOM ? null : apiUrl("/api/v2/crimes", {
      poly: `${s},${w}:${n},${w}:${n},${e}:${s},${e}`, from: state.month, to: state.month, category: state.category, format: "geojson", limit: MAX_CRIMES,
    });
    if (url && url === crimesUrl) return; // already shown, or on its way
    crimesUrl = url;
    if (crimesRequest) crimesRequest.abort();
    crimeLayer.clearLayers();
    $("legend").replaceChildren();
    delete mapElement.dataset.shown;
    if (!url) {
      status.textContent = `Zoom in to see the crimes of ${monthLabel(state.month)}.`;
      mapElement.dataset.shown = JSON.stringify({ month: state.month, category: state.category, crimes: 0, places: 0, zoomIn: true });
      return;
    }
    const request = (crimesRequest = new AbortController());
    status.textContent = `Loading the crimes of ${monthLabel(state.month)}…`;
    let collection;
    try {
      collection = await getJSON(url, request.signal);
    } catch (error) {
      if (request.signal.aborted) return;
      crimesUrl = null;
      status.textContent = `Could not load crimes: ${error.message}`;
      return;
    }
    if (request !== crimesRequest) return;
    crimesRequest = null;

    // Group by snap point.
    const places = new Map();
    const byCategory = new Map();
    for (const feature of collection.features) {
      const [lng, lat] = feature.geometry.coordinates;
      const key = `${lat},${lng}`;
      let place = places.get(key);
      if (!place) {
        place = { lat, lng, street: feature.properties.location?.street?.name || "", locationId: feature.properties.location?.street?.id, counts: new Map(), total: 0 };
        places.set(key, place);
      }
      const category = feature.properties.category;
      place.counts.set(category, (place.counts.get(category) || 0) + 1);
      place.total += 1;
      byCategory.set(category, (byCategory.get(category) || 0) + 1);
    }
    for (const place of places.values()) {
      const [top] = [...place.counts.entries()].sort((a, b) => b[1] - a[1]);
      const marker = L.circleMarker([place.lat, place.lng], {
        radius: Math.min(4 + 2 * Math.sqrt(place.total), 18), color: "#fff", weight: 1, fillColor: categoryColour(categories, top[0]), fillOpacity: 0.85,
        bubblingMouseEvents: false,
      });
      marker.bindPopup(() => placePopup(place));
      // A click on a place is a click on the map too: its area, or a corner while drawing.
      marker.on("click", (event) => clickAt(event.latlng));
      crimeLayer.addLayer(marker);
    }
    const crimes = collection.features.length;
    const more = collection.next ? ` (the first ${fmt(MAX_CRIMES)}: zoom in for all)` : "";
    status.replaceChildren(
      `${fmt(crimes)} crimes at ${fmt(places.size)} places in ${monthLabel(state.month)}, ${categoryName(state.category).toLowerCase()}${more}. `,
      apiLink(url),
    );
    $("legend").replaceChildren(
      ...[...byCategory.entries()].sort((a, b) => b[1] - a[1]).map(([slug, count]) =>
        el("li", { "data-category": slug }, el("span", { class: "swatch", style: `background:${categoryColour(categories, slug)}` }), `${categoryName(slug)}: ${fmt(count)}`),
      ),
    );
    mapElement.dataset.shown = JSON.stringify({ month: state.month, category: state.category, crimes, places: places.size, url });
  }

  function placePopup(place) {
    const link = place.locationId
      ? apiUrl("/api/crimes-at-location", { location_id: place.locationId, date: state.month })
      : null;
    return el("div", {},
      el("strong", { text: place.street || "A snap point" }),
      el("ul", { class: "popup-list" }, [...place.counts.entries()].sort((a, b) => b[1] - a[1]).map(([slug, count]) => el("li", {}, `${categoryName(slug)}: ${count}`))),
      link ? apiLink(link, "These crimes in the API") : null,
    );
  }

  // ---- the area panel ----
  let areaRequest = 0;
  function areaParams(area) {
    return area.kind === "circle" ? { lat: area.lat.toFixed(5), lng: area.lng.toFixed(5) } : { poly: polyParam(area.points) };
  }
  function areaCentre(area) {
    if (area.kind === "circle") return L.latLng(area.lat, area.lng);
    return L.polygon(area.points).getBounds().getCenter();
  }

  async function showArea(area) {
    state.area = area;
    saveHash();
    areaLayer.clearLayers();
    const shape = area.kind === "circle"
      ? L.circle([area.lat, area.lng], { radius: ONE_MILE_M, color: "#0b0c0c", weight: 2, fill: false, interactive: false })
      : L.polygon(area.points, { color: "#0b0c0c", weight: 2, fill: false, interactive: false });
    areaLayer.addLayer(shape);
    const panel = $("area");
    panel.hidden = false;
    panel.removeAttribute("data-ready");
    const ticket = ++areaRequest;
    const month = state.month;
    const from = addMonths(month, -11);
    const centre = areaCentre(area);
    $("area-title").textContent = area.kind === "circle" ? "Within a mile of this point" : "Inside the drawn area";
    $("area-where").textContent = area.kind === "circle"
      ? `Centre ${centre.lat.toFixed(5)}, ${centre.lng.toFixed(5)}`
      : `${area.points.length} corners`;
    $("area-month").textContent = monthLabel(month);
    $("area-trend-category").textContent = state.category === "all-crime" ? ", all crime" : `, ${categoryName(state.category).toLowerCase()}`;
    for (const id of ["area-categories", "area-chart", "area-trend"]) $(id).replaceChildren(el("p", { text: "Loading…" }));

    const monthUrl = apiUrl("/api/v2/crimes/counts", { ...areaParams(area), from: month, to: month });
    const trendUrl = apiUrl("/api/v2/crimes/counts", { ...areaParams(area), from, to: month, category: state.category });
    const locateUrl = apiUrl("/api/locate-neighbourhood", { q: `${centre.lat.toFixed(5)},${centre.lng.toFixed(5)}` });
    try {
      const [monthCounts, trend, located] = await Promise.all([
        getJSON(monthUrl), getJSON(trendUrl), getJSON(locateUrl).catch(() => null),
      ]);
      let forceTrend = null;
      let forceUrl = null;
      if (located) {
        forceUrl = apiUrl("/api/v2/crimes/counts", { force: located.force, from, to: month, category: state.category });
        forceTrend = await getJSON(forceUrl);
      }
      if (ticket !== areaRequest) return;
      if (located) {
        $("area-where").replaceChildren(`${$("area-where").textContent}; in ${located.force}, neighbourhood ${located.neighbourhood}. `, apiLink(locateUrl));
      }
      renderCategoryTable(monthCounts, monthUrl);
      renderTrend(trend, trendUrl, forceTrend, forceUrl, located?.force);
      panel.dataset.ready = JSON.stringify({ monthUrl, trendUrl, forceUrl });
    } catch (error) {
      if (ticket !== areaRequest) return;
      $("area-categories").replaceChildren(el("p", { class: "error", text: `Could not count this area: ${error.message}` }));
    }
  }

  function renderCategoryTable(counts, url) {
    const month = counts.months[0];
    if (!month || month.missing) {
      $("area-categories").replaceChildren(el("p", { text: `No data held for ${monthLabel(counts.from)} here. ` }, apiLink(url)));
      return;
    }
    const rows = Object.entries(counts.totals).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    const table = el("table", { class: "figures", id: "area-category-table" },
      el("caption", { class: "visually-hidden", text: `Crimes by category, ${monthLabel(counts.from)}` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Category" }), el("th", { scope: "col", class: "num", text: "Crimes" }))),
      el("tbody", {}, rows.map(([slug, n]) => el("tr", { "data-category": slug },
        el("th", { scope: "row" }, el("span", { class: "swatch", style: `background:${categoryColour(categories, slug)}` }), categoryName(slug)),
        el("td", { class: "num", text: fmt(n) })))),
      el("tfoot", {}, el("tr", { "data-category": "total" }, el("th", { scope: "row", text: "Total" }), el("td", { class: "num", text: fmt(counts.total) }))),
    );
    $("area-categories").replaceChildren(table, el("p", { class: "source" }, apiLink(url, "These figures in the API")));
  }

  let chart = null;
  function renderTrend(trend, trendUrl, forceTrend, forceUrl, force) {
    const labels = trend.months.map((m) => m.month);
    const area = trend.months.map((m) => (m.missing ? null : m.total));
    const forceValues = forceTrend ? forceTrend.months.map((m) => (m.missing ? null : m.total)) : null;
    if (chart) chart.destroy();
    const container = $("area-chart");
    container.replaceChildren();
    const series = [{}, { label: "This area", stroke: "#1d70b8", width: 2, scale: "area", points: { show: true } }];
    const axes = [{}, { scale: "area", label: "Area", size: 50 }];
    const data = [labels.map(monthSeconds), area];
    if (forceValues) {
      series.push({ label: `${force} (force)`, stroke: "#d4351c", width: 2, dash: [6, 4], scale: "force" });
      axes.push({ scale: "force", side: 1, label: "Force", size: 60, grid: { show: false } });
      data.push(forceValues);
    }
    const width = Math.max(260, container.clientWidth || 320);
    chart = new uPlot({ width, height: 200, series, axes, scales: { x: { time: true } } }, data, container);
    container.setAttribute("role", "img");
    container.setAttribute("aria-label", `Crimes per month in this area${forceValues ? ` and in ${force}` : ""}, ${monthLabel(labels[0])} to ${monthLabel(labels[labels.length - 1])}; the figures are in the table below.`);

    const table = el("table", { class: "figures", id: "area-trend-table" },
      el("caption", { class: "visually-hidden", text: "Crimes per month" }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Month" }), el("th", { scope: "col", class: "num", text: "Area" }), forceValues ? el("th", { scope: "col", class: "num", text: "Force" }) : null)),
      el("tbody", {}, labels.map((m, i) => el("tr", { "data-month": m },
        el("th", { scope: "row", text: monthLabel(m) }), el("td", { class: "num", text: fmt(area[i]) }), forceValues ? el("td", { class: "num", text: fmt(forceValues[i]) }) : null))),
    );
    $("area-trend").replaceChildren(
      el("details", {}, el("summary", { text: "The figures" }), table),
      el("p", { class: "source" }, apiLink(trendUrl, "Area trend in the API"), forceUrl ? " · " : null, forceUrl ? apiLink(forceUrl, "Force trend in the API") : null),
    );
  }

  // ---- drawing a polygon ----
  let drawing = null; // corners while drawing
  const drawLayer = L.layerGroup().addTo(map);
  let statusBeforeDrawing = [];
  function setDrawing(on) {
    if (on && !drawing) statusBeforeDrawing = [...status.childNodes];
    if (!on && drawing) status.replaceChildren(...statusBeforeDrawing);
    drawing = on ? [] : null;
    drawLayer.clearLayers();
    $("draw").setAttribute("aria-pressed", String(on));
    $("draw-buttons").hidden = !on;
    $("finish-draw").disabled = true;
    mapElement.classList.toggle("drawing", on);
    if (on) status.textContent = "Drawing: click the map (or use “Add the map centre as a corner”) for each corner, then “Finish the area”; Escape cancels.";
  }
  function addCorner(latlng) {
    map.closePopup();
    drawing.push([latlng.lat, latlng.lng]);
    drawLayer.clearLayers();
    L.polyline(drawing, { color: "#0b0c0c", dashArray: "4 4", interactive: false }).addTo(drawLayer);
    for (const corner of drawing) L.circleMarker(corner, { radius: 4, color: "#0b0c0c", interactive: false }).addTo(drawLayer);
    $("finish-draw").disabled = drawing.length < 3;
  }
  function finishDrawing() {
    if (!drawing || drawing.length < 3) return;
    const points = drawing;
    setDrawing(false);
    showArea({ kind: "poly", points });
  }
  $("draw").addEventListener("click", () => setDrawing(!drawing));
  $("add-corner").addEventListener("click", () => addCorner(map.getCenter()));
  $("finish-draw").addEventListener("click", finishDrawing);
  $("cancel-draw").addEventListener("click", () => setDrawing(false));
  document.addEventListener("keydown", (event) => {
    if (!drawing) return;
    if (event.key === "Escape") setDrawing(false);
    if (event.key === "Enter" && document.activeElement === mapElement) finishDrawing();
  });

  function clickAt(latlng) {
    if (drawing) addCorner(latlng);
    else showArea({ kind: "circle", lat: latlng.lat, lng: latlng.lng });
  }
  map.on("click", (event) => clickAt(event.latlng));
  $("centre-area").addEventListener("click", () => {
    const centre = map.getCenter();
    showArea({ kind: "circle", lat: centre.lat, lng: centre.lng });
  });

  // ---- controls ----
  const slider = $("month");
  const categorySelect = $("category");
  function setMonthFromSlider() {
    state.month = months[Number(slider.value)];
    $("month-label").textContent = monthLabel(state.month);
    slider.setAttribute("aria-valuetext", monthLabel(state.month));
  }
  slider.addEventListener("input", setMonthFromSlider);
  slider.addEventListener("change", () => {
    setMonthFromSlider();
    saveHash();
    showCrimes();
    if (state.area) showArea(state.area);
  });
  categorySelect.addEventListener("change", () => {
    state.category = categorySelect.value;
    saveHash();
    showCrimes();
    if (state.area) showArea(state.area);
  });

  let moveTimer = null;
  map.on("moveend", () => {
    if (!months.length) return;
    saveHash();
    clearTimeout(moveTimer);
    moveTimer = setTimeout(() => {
      showCrimes();
      showBoundariesAround(map.getCenter());
    }, 250);
  });

  // ---- start ----
  async function start() {
    const [dates, categoryList] = await Promise.all([getJSON("/api/crimes-street-dates"), getJSON("/api/crime-categories")]);
    months = dates.map((d) => d.date).sort();
    categories = categoryList;
    if (!months.length) {
      status.textContent = "This server holds no crime data yet (police-api import <archive>).";
      map.setView([52.5, -1.5], 6);
      return;
    }
    const hash = readHash();
    state.month = months.includes(hash.get("month")) ? hash.get("month") : months[months.length - 1];
    state.category = categories.some((c) => c.url === hash.get("category")) ? hash.get("category") : "all-crime";

    slider.max = String(months.length - 1);
    slider.value = String(months.indexOf(state.month));
    slider.disabled = months.length < 2;
    setMonthFromSlider();
    categorySelect.replaceChildren(...categories.map((c) => el("option", { value: c.url, text: c.name })));
    categorySelect.value = state.category;
    categorySelect.disabled = false;

    const view = (hash.get("map") || "").split("/").map(Number);
    if (view.length === 3 && view.every(Number.isFinite)) {
      map.setView([view[1], view[2]], view[0]);
    } else {
      // No view asked for: the busiest place of the latest month.
      let centre = [52.5, -1.5];
      let zoom = 6;
      try {
        const busiest = await getJSON(apiUrl("/api/v2/crimes/hotspots", { from: state.month, to: state.month, limit: 1 }));
        const top = busiest.hotspots?.[0] || busiest.points?.[0];
        if (top) { centre = [Number(top.latitude), Number(top.longitude)]; zoom = 14; }
      } catch (error) {
        console.warn(String(error));
      }
      map.setView(centre, zoom);
    }
    showCrimes();
    showBoundariesAround(map.getCenter());
    const circle = (hash.get("circle") || "").split(",").map(Number);
    const poly = parsePoly(hash.get("poly"));
    if (circle.length === 2 && circle.every(Number.isFinite)) showArea({ kind: "circle", lat: circle[0], lng: circle[1] });
    else if (poly) showArea({ kind: "poly", points: poly });
    saveHash();
  }
  start().catch((error) => {
    status.textContent = `Could not start: ${error.message}`;
    console.error(error);
  });
})();
