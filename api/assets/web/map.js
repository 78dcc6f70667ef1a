// The map page (/): crimes of a month in the visible area, grouped by snap point and coloured
// by category; a month slider and a category filter; force and neighbourhood boundaries; an
// area panel for a clicked place (a one-mile circle) or a drawn polygon. Reads only this
// server's API; the state (centre, zoom, month, category, area) lives in the URL's hash.
"use strict";

(() => {
  const { apiUrl, getJSON, addMonths, monthLabel, monthSeconds, fmt, categoryColour, readHash, writeHash, el, apiLink } = Police;

  const ONE_MILE_M = 1609.344;
  const MIN_CRIME_ZOOM = 12; // below this the view's crimes are counted in squares instead
  const MAX_CRIMES = 10000; // /api/v2/crimes's largest page

  const $ = (id) => document.getElementById(id);
  const mapElement = $("map");
  const status = $("status");

  const state = { month: null, category: "all-crime", area: null, find: "", neighbourhood: null, window: 12 };
  const TREND_WINDOWS = [12, 24, 36];
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
  const hotspotLayer = L.layerGroup().addTo(map);

  // ---- URL hash ----
  function saveHash() {
    const centre = map.getCenter();
    const params = { map: `${map.getZoom()}/${centre.lat.toFixed(5)}/${centre.lng.toFixed(5)}`, month: state.month, category: state.category };
    if (state.window !== 12) params.window = state.window;
    if (state.area?.kind === "circle") params.circle = `${state.area.lat.toFixed(5)},${state.area.lng.toFixed(5)}`;
    if (state.area?.kind === "poly") params.poly = polyParam(state.area.points);
    if (state.neighbourhood) params.neighbourhood = `${state.neighbourhood.force}/${state.neighbourhood.id}`;
    if (state.find) params.find = state.find;
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
    const poly = `${s},${w}:${n},${w}:${n},${e}:${s},${e}`;
    const period = { from: state.month, to: state.month, category: state.category };
    // Zoomed out, the view's crimes are counted in squares (the API's hot spot grid).
    const cell = map.getZoom() < MIN_CRIME_ZOOM ? gridCell() : null;
    const url = cell
      ? apiUrl("/api/v2/crimes/hotspots", { poly, ...period, cell })
      : apiUrl("/api/v2/crimes", { poly, ...period, format: "geojson", limit: MAX_CRIMES });
    if (url === crimesUrl) return; // already shown, or on its way
    crimesUrl = url;
    if (crimesRequest) crimesRequest.abort();
    crimeLayer.clearLayers();
    $("legend").replaceChildren();
    delete mapElement.dataset.shown;
    const request = (crimesRequest = new AbortController());
    status.textContent = `Loading the crimes of ${monthLabel(state.month)}…`;
    let collection;
    try {
      collection = await getJSON(url, request.signal);
    } catch (error) {
      if (request.signal.aborted) return;
      crimesUrl = null;
      status.textContent = cell
        ? `Zoom in to see the crimes of ${monthLabel(state.month)} (${error.message}).`
        : `Could not load crimes: ${error.message}`;
      if (cell) mapElement.dataset.shown = JSON.stringify({ month: state.month, category: state.category, crimes: 0, cells: 0, zoomIn: true });
      return;
    }
    if (request !== crimesRequest) return;
    crimesRequest = null;
    if (cell) {
      showGrid(collection, url);
      return;
    }

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

  // The side of the grid's squares for the current zoom: about GRID_CELL_PX pixels, rounded
  // to a round number of metres the API takes (50 to 5,000).
  const GRID_CELL_PX = 24;
  const GRID_CELLS_M = [50, 100, 250, 500, 1000, 1500, 2500, 5000];
  function gridCell() {
    const metresPerPixel = (156543.03 * Math.cos((map.getCenter().lat * Math.PI) / 180)) / 2 ** map.getZoom();
    const wanted = GRID_CELL_PX * metresPerPixel;
    return GRID_CELLS_M.find((m) => m >= wanted) ?? GRID_CELLS_M[GRID_CELLS_M.length - 1];
  }

  // Light to dark with the count's share of the busiest square (square root, so that the
  // few busiest squares do not wash out the rest).
  const gridColour = (share) => `hsl(${Math.round(50 - 50 * share)}, 90%, ${Math.round(82 - 42 * share)}%)`;

  function showGrid(answer, url) {
    const busiest = answer.cells.reduce((most, c) => Math.max(most, c.total), 0);
    const crimes = answer.cells.reduce((sum, c) => sum + c.total, 0);
    const side = answer.cell >= 1000 ? `${answer.cell / 1000} km` : `${answer.cell} m`;
    for (const c of answer.cells) {
      const square = L.rectangle([[c.south, c.west], [c.north, c.east]], {
        stroke: false, fillColor: gridColour(Math.sqrt(c.total / busiest)), fillOpacity: 0.75, bubblingMouseEvents: false,
      });
      square.bindTooltip(`${fmt(c.total)} crimes`);
      square.on("click", (event) => clickAt(event.latlng));
      crimeLayer.addLayer(square);
    }
    status.replaceChildren(
      `${fmt(crimes)} crimes in ${fmt(answer.cells.length)} squares of ${side} in ${monthLabel(state.month)}, ${categoryName(state.category).toLowerCase()}; zoom in to see each place. `,
      apiLink(url),
    );
    if (answer.cells.length) {
      const steps = [...new Set([1, Math.round(busiest / 4), busiest])].filter((n) => n >= 1 && n <= busiest);
      $("legend").replaceChildren(
        ...steps.map((n) => el("li", { "data-per-square": n }, el("span", { class: "swatch", style: `background:${gridColour(Math.sqrt(n / busiest))}` }), `${fmt(n)} a square`)),
      );
    }
    mapElement.dataset.shown = JSON.stringify({ month: state.month, category: state.category, crimes, cells: answer.cells.length, cell: answer.cell, url, grid: true });
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
    const from = addMonths(month, -(state.window - 1));
    const centre = areaCentre(area);
    $("area-title").textContent = area.kind === "circle" ? "Within a mile of this point" : "Inside the drawn area";
    $("area-where").textContent = area.kind === "circle"
      ? `Centre ${centre.lat.toFixed(5)}, ${centre.lng.toFixed(5)}`
      : `${area.points.length} corners`;
    $("area-month").textContent = monthLabel(month);
    $("area-trend-category").textContent = state.category === "all-crime" ? ", all crime" : `, ${categoryName(state.category).toLowerCase()}`;
    $("area-trend-months").textContent = String(state.window);
    hotspotLayer.clearLayers();
    for (const id of ["area-categories", "area-chart", "area-trend", "area-band", "area-outcomes", "area-stops", "area-hotspots"]) $(id).replaceChildren(el("p", { text: "Loading…" }));

    const monthUrl = apiUrl("/api/v2/crimes/counts", { ...areaParams(area), from: month, to: month });
    const trendUrl = apiUrl("/api/v2/crimes/counts", { ...areaParams(area), from, to: month, category: state.category });
    const locateUrl = apiUrl("/api/locate-neighbourhood", { q: `${centre.lat.toFixed(5)},${centre.lng.toFixed(5)}` });
    const outcomesUrl = apiUrl("/api/v2/outcomes/counts", { ...areaParams(area), from, to: month, category: state.category });
    const stopsUrl = apiUrl("/api/v2/stops/counts", { ...areaParams(area), from, to: month, by: "object_of_search" });
    const hotspotsUrl = apiUrl("/api/v2/crimes/hotspots", { ...areaParams(area), from, to: month, category: state.category, limit: 10 });
    // The later sections fill as their answers come; the panel is ready once all have.
    const sections = [
      section(outcomesUrl, "area-outcomes", renderOutcomes, ticket),
      section(stopsUrl, "area-stops", renderStops, ticket),
      section(hotspotsUrl, "area-hotspots", renderHotspots, ticket),
    ];
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
        $("area-where").replaceChildren(`${$("area-where").textContent}; in ${located.force}, neighbourhood ${located.neighbourhood}. `, apiLink(locateUrl), " ",
          el("button", { type: "button", id: "open-neighbourhood", onclick: () => showNeighbourhood(located.force, located.neighbourhood) }, "About this neighbourhood"));
      }
      renderCategoryTable(monthCounts, monthUrl);
      renderTrend(trend, trendUrl, forceTrend, forceUrl, located?.force);
      let compareUrl = null;
      if (located) {
        compareUrl = apiUrl("/api/v2/crimes/compare", { area: `neighbourhood:${located.force}/${located.neighbourhood}`, from, to: month, category: state.category });
        sections.push(section(compareUrl, "area-band", renderBand, ticket));
      } else {
        $("area-band").replaceChildren(el("p", { text: "This place is in no neighbourhood held." }));
      }
      await Promise.all(sections);
      if (ticket !== areaRequest) return;
      panel.dataset.ready = JSON.stringify({ monthUrl, trendUrl, forceUrl, compareUrl, outcomesUrl, stopsUrl, hotspotsUrl, window: state.window });
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

  /** Fetches `url` and renders it into the element `id`; a failure is said there. */
  async function section(url, id, render, ticket) {
    try {
      const answer = await getJSON(url);
      if (ticket === areaRequest) render(answer, url);
    } catch (error) {
      if (ticket === areaRequest) $(id).replaceChildren(el("p", { class: "error", text: `Could not load: ${error.message}` }));
    }
  }
  const source = (url, label) => el("p", { class: "source" }, apiLink(url, label));
  /** 1 → `1st`, 12 → `12th`, 22 → `22nd`. */
  function ordinal(n) {
    if (n % 100 >= 11 && n % 100 <= 13) return `${n}th`;
    return `${n}${{ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th"}`;
  }

  function renderBand(answer, url) {
    const area = answer.areas[0];
    const band = area.band;
    const holder = $("area-band");
    if (!band) {
      holder.replaceChildren(el("p", { text: "No band: the neighbourhood has no boundary held. " }), source(url, "The comparison in the API"));
      return;
    }
    holder.replaceChildren(
      el("p", { id: "area-band-text", "data-band": band.band, "data-rank": band.rank, "data-of": band.of, "data-per-km2": area.per_km2 ?? "" },
        `Neighbourhood ${area.area.neighbourhood}: `, el("span", { class: `band band-${band.band.replace(/ /g, "-")}`, text: band.band }),
        `, the ${ordinal(band.rank)} densest of the force's ${band.of} neighbourhoods: ${fmt(area.per_km2)} crimes per km² (${fmt(area.total)} in ${fmt(area.km2)} km²) from ${monthLabel(answer.from)} to ${monthLabel(answer.to)}.`),
      source(url, "The band in the API"),
    );
  }

  const OUTCOMES_ON_PHONES = 5;
  const OUTCOME_NAMES = { none: "No outcome recorded", other: "Another outcome" };
  const outcomeName = (slug) => OUTCOME_NAMES[slug] || slug.charAt(0).toUpperCase() + slug.slice(1).replace(/-/g, " ");
  function renderOutcomes(answer, url) {
    const all = answer.last_outcomes?.all;
    if (!all || !all.crimes) {
      $("area-outcomes").replaceChildren(el("p", { text: "No crimes here over the period. " }), source(url, "The outcomes in the API"));
      return;
    }
    const rows = Object.entries(all.counts).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    // On a phone a long table is cut to its largest rows until asked for the rest (web.css).
    const cut = rows.length > OUTCOMES_ON_PHONES + 1;
    const showAll = cut && el("button", { type: "button", class: "show-all", "aria-expanded": "false", "aria-controls": "area-outcomes-table" }, `Show all ${rows.length} outcomes`);
    if (showAll) {
      showAll.addEventListener("click", () => {
        const table = $("area-outcomes-table");
        const open = table.classList.toggle("cut") === false;
        showAll.setAttribute("aria-expanded", String(open));
        showAll.textContent = open ? `Show the ${OUTCOMES_ON_PHONES} largest only` : `Show all ${rows.length} outcomes`;
      });
    }
    $("area-outcomes").replaceChildren(
      el("table", { class: cut ? "figures cut" : "figures", id: "area-outcomes-table" },
        el("caption", { class: "visually-hidden", text: "The period's crimes by last outcome" }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Last outcome" }), el("th", { scope: "col", class: "num", text: "Crimes" }), el("th", { scope: "col", class: "num", text: "Share" }))),
        el("tbody", {}, rows.map(([slug, n], i) => el("tr", { "data-outcome": slug, ...(i >= OUTCOMES_ON_PHONES ? { class: "beyond-cut" } : {}) },
          el("th", { scope: "row", text: outcomeName(slug) }), el("td", { class: "num", text: fmt(n) }), el("td", { class: "num", text: `${fmt(100 * all.shares[slug])} %` })))),
        el("tfoot", {}, el("tr", { "data-outcome": "total" }, el("th", { scope: "row", text: "Crimes" }), el("td", { class: "num", text: fmt(all.crimes) }), el("td", {})))),
      ...(showAll ? [showAll] : []),
      source(url, "The outcomes in the API"),
    );
  }

  function renderStops(answer, url) {
    const total = answer.total;
    if (!total.count) {
      $("area-stops").replaceChildren(el("p", { text: `No stops here from ${monthLabel(answer.from)} to ${monthLabel(answer.to)}. ` }), source(url, "Stop and search in the API"));
      return;
    }
    const groups = [...answer.groups].sort((a, b) => b.count - a.count);
    const share = (x) => (x === null || x === undefined ? "–" : `${fmt(100 * x)} %`);
    $("area-stops").replaceChildren(
      el("table", { class: "figures", id: "area-stops-table" },
        el("caption", { class: "visually-hidden", text: "Stops and searches by object of search" }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Object of search" }), el("th", { scope: "col", class: "num", text: "Stops" }), el("th", { scope: "col", class: "num", text: "Arrests" }))),
        el("tbody", {}, groups.map((g) => el("tr", { "data-key": g.key.object_of_search ?? "" },
          el("th", { scope: "row", text: g.key.object_of_search || "Not recorded" }), el("td", { class: "num", text: fmt(g.count) }), el("td", { class: "num", text: fmt(g.arrests) })))),
        el("tfoot", {}, el("tr", { "data-key": "total" }, el("th", { scope: "row", text: "All stops" }), el("td", { class: "num", text: fmt(total.count) }), el("td", { class: "num", text: fmt(total.arrests) })))),
      el("p", { class: "source" }, `Outcome linked to the object of search: ${share(total.linked_share)}; arrests: ${share(total.arrest_share)}.${answer.missing_months.length ? ` No stop data for ${answer.missing_months.length} of the months.` : ""} `, apiLink(url, "Stop and search in the API")),
    );
  }

  function renderHotspots(answer, url) {
    hotspotLayer.clearLayers();
    if (!answer.hotspots.length) {
      $("area-hotspots").replaceChildren(el("p", { text: "No crimes at any map point here. " }), source(url, "Hot spots in the API"));
      return;
    }
    answer.hotspots.forEach((spot, i) => {
      const marker = L.circleMarker([spot.latitude, spot.longitude], { radius: 11, color: "#0b0c0c", weight: 3, fill: false, bubblingMouseEvents: false });
      marker.bindTooltip(String(i + 1), { permanent: true, direction: "center", className: "hotspot-label" });
      marker.on("click", (event) => clickAt(event.latlng));
      hotspotLayer.addLayer(marker);
    });
    if (!$("hotspots-shown").checked) map.removeLayer(hotspotLayer);
    $("area-hotspots").replaceChildren(
      el("ol", { class: "hotspots", id: "area-hotspots-list" }, answer.hotspots.map((spot) => el("li", { "data-location": spot.location_id, "data-total": spot.total },
        `${spot.street.replace(/^On or near /, "")}: ${fmt(spot.total)} crimes, in ${spot.months_with_crime} of ${answer.months.length} months`))),
      source(url, "Hot spots in the API"),
    );
  }
  $("hotspots-shown").addEventListener("change", (event) => {
    if (event.target.checked) hotspotLayer.addTo(map);
    else map.removeLayer(hotspotLayer);
  });
  $("trend-window").addEventListener("change", (event) => {
    state.window = Number(event.target.value);
    if (state.area) showArea(state.area);
    else saveHash();
  });

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

  // ---- a neighbourhood: boundary, team, priorities, events, contacts (police.uk's routes) ----
  const neighbourhoodLayer = L.layerGroup().addTo(map);
  let neighbourhoodTicket = 0;
  /** police.uk's texts may hold HTML: shown as plain text. */
  const plain = (html) => (html ? new DOMParser().parseFromString(html, "text/html").body.textContent.trim() : "");
  const CONTACT_LABELS = { email: "Email", telephone: "Telephone", mobile: "Mobile", fax: "Fax", web: "Website", address: "Address", facebook: "Facebook", twitter: "X (Twitter)", youtube: "YouTube", myspace: "MySpace", bebo: "Bebo", flickr: "Flickr", "google-plus": "Google+", forum: "Forum", "e-messaging": "E-messaging", rss: "RSS" };
  function contactList(details, id) {
    const entries = Object.entries(details || {}).filter(([, v]) => v);
    if (!entries.length) return null;
    return el("dl", { class: "contacts", id }, entries.flatMap(([key, value]) => {
      const link = key === "email" ? `mailto:${value}` : key === "telephone" || key === "mobile" ? `tel:${value.replace(/\s+/g, "")}` : /^https?:\/\//.test(value) ? value : null;
      return [el("dt", { text: CONTACT_LABELS[key] || key }), el("dd", { "data-contact": key }, link ? el("a", { href: link, text: value }) : value)];
    }));
  }
  const dateText = (text) => (text ? text.replace("T", " ").replace(/:00$/, "") : "");
  async function showNeighbourhood(force, id, { fit = true } = {}) {
    state.neighbourhood = { force, id };
    saveHash();
    const panel = $("neighbourhood");
    const body = $("neighbourhood-body");
    panel.hidden = false;
    delete panel.dataset.ready;
    body.replaceChildren(el("p", { text: "Loading…" }));
    const ticket = ++neighbourhoodTicket;
    const base = `/api/${encodeURIComponent(force)}/${encodeURIComponent(id)}`;
    const urls = {
      detail: base, people: `${base}/people`, priorities: `${base}/priorities`, events: `${base}/events`,
      boundary: `/api/v2/forces/${encodeURIComponent(force)}/neighbourhoods/${encodeURIComponent(id)}/boundary`,
      force: `/api/forces/${encodeURIComponent(force)}`,
    };
    let detail, people, priorities, events, boundary, forceDetail;
    try {
      [detail, people, priorities, events, boundary, forceDetail] = await Promise.all([
        getJSON(urls.detail), getJSON(urls.people), getJSON(urls.priorities), getJSON(urls.events),
        fetch(urls.boundary, { headers: { Accept: "application/geo+json" } }).then((r) => (r.ok ? r.json() : null)),
        getJSON(urls.force),
      ]);
    } catch (error) {
      if (ticket === neighbourhoodTicket) body.replaceChildren(el("p", { class: "error", text: `Could not load the neighbourhood: ${error.message}` }));
      return;
    }
    if (ticket !== neighbourhoodTicket) return;
    $("neighbourhood-title").textContent = `${detail.name}, ${forceDetail.name}`;
    neighbourhoodLayer.clearLayers();
    if (boundary?.geometry) {
      const shape = L.geoJSON(boundary, { interactive: false, style: { color: "#6f2c91", weight: 3, fillColor: "#6f2c91", fillOpacity: 0.06 } }).addTo(neighbourhoodLayer);
      if (fit) map.fitBounds(shape.getBounds(), { padding: [20, 20] });
    } else if (fit && detail.centre) {
      map.setView([Number(detail.centre.latitude), Number(detail.centre.longitude)], 14);
    }
    const section = (title, url, content) => [el("h3", {}, title, " ", apiLink(url)), content];
    const description = plain(detail.description) || plain(detail.welcome_message);
    body.replaceChildren(...[
      description ? el("p", { class: "description", text: description }) : null,
      detail.population && detail.population !== "0" ? el("p", { text: `Population ${fmt(Number(detail.population))}.` }) : null,
      ...section("Contact", urls.detail, contactList(detail.contact_details, "neighbourhood-contacts") || el("p", { text: "No contact details held." })),
      detail.locations?.length ? el("ul", { class: "plain-list", id: "neighbourhood-locations" }, detail.locations.map((l) => el("li", {}, [l.name, plain(l.address), l.postcode].filter(Boolean).join(", ")))) : null,
      ...section(`Team (${people.length})`, urls.people, people.length
        ? el("ul", { class: "plain-list", id: "neighbourhood-team" }, people.map((p) => el("li", { "data-name": p.name }, el("strong", { text: p.name }), p.rank ? `, ${p.rank}` : "", contactList(p.contact_details))))
        : el("p", { text: "No team listed." })),
      ...section(`Priorities (${priorities.length})`, urls.priorities, priorities.length
        ? el("ul", { class: "plain-list", id: "neighbourhood-priorities" }, priorities.map((p) => el("li", {},
          el("strong", { text: plain(p.issue) || "Priority" }), p["issue-date"] ? ` (${dateText(p["issue-date"]).slice(0, 10)})` : "",
          p.action ? el("p", { class: "source", text: `Action: ${plain(p.action)}` }) : null)))
        : el("p", { text: "No priorities listed." })),
      ...section(`Events (${events.length})`, urls.events, events.length
        ? el("ul", { class: "plain-list", id: "neighbourhood-events" }, events.map((e) => el("li", {},
          el("strong", { text: plain(e.title) || "Event" }), e.start_date ? ` ${dateText(e.start_date)}` : "", e.address ? `, ${plain(e.address)}` : "",
          e.description ? el("p", { class: "source", text: plain(e.description) }) : null)))
        : el("p", { text: "No events listed." })),
      el("p", { class: "source" },
        el("a", { href: `/dashboard#force=${encodeURIComponent(force)}`, text: `${forceDetail.name}'s neighbourhoods on the dashboard` }),
        boundary?.geometry ? " · " : null, boundary?.geometry ? apiLink(urls.boundary, "Boundary in the API") : null),
    ].filter(Boolean));
    panel.dataset.ready = JSON.stringify({ force, id, urls, people: people.length, priorities: priorities.length, events: events.length, boundary: Boolean(boundary?.geometry) });
  }
  $("close-neighbourhood").addEventListener("click", () => {
    state.neighbourhood = null;
    neighbourhoodLayer.clearLayers();
    $("neighbourhood").hidden = true;
    saveHash();
    $("find").focus();
  });

  // ---- finding a place: coordinates, a street (/api/v2/places), a neighbourhood ----
  const COORDINATES = /^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$/;
  const findResults = $("find-results");
  const findStatus = $("find-status");
  let findTicket = 0;
  function goToPlace(lat, lng, bounds) {
    if (bounds && (bounds[2] - bounds[0] > 0.002 || bounds[3] - bounds[1] > 0.002)) {
      map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], { maxZoom: 16, padding: [20, 20] });
    } else {
      map.setView([lat, lng], 16);
    }
    showArea({ kind: "circle", lat, lng });
  }
  /** `1 street place`, `2 street places`. */
  const count = (n, noun) => `${fmt(n)} ${noun}${n === 1 ? "" : "s"}`;
  function resultButton(label, kind, onclick, data) {
    return el("li", {}, el("button", { type: "button", onclick, ...data }, label, el("span", { class: "kind", text: kind })));
  }
  async function findPlace(text, { navigate = true } = {}) {
    text = text.trim();
    state.find = text;
    saveHash();
    const ticket = ++findTicket;
    findResults.hidden = true;
    findResults.replaceChildren();
    delete findResults.dataset.ready;
    if (!text) { findStatus.textContent = ""; return; }
    const coordinates = COORDINATES.exec(text);
    if (coordinates) {
      const [lat, lng] = [Number(coordinates[1]), Number(coordinates[2])];
      if (Math.abs(lat) > 90 || Math.abs(lng) > 180) {
        findStatus.textContent = `${text} is not a latitude,longitude.`;
        return;
      }
      findStatus.textContent = `Showing ${lat}, ${lng}.`;
      if (navigate) goToPlace(lat, lng, null);
      findResults.dataset.ready = JSON.stringify({ coordinates: [lat, lng] });
      return;
    }
    const url = apiUrl("/api/v2/places", { q: text, limit: 10 });
    findStatus.textContent = "Searching…";
    let answer;
    try {
      answer = await getJSON(url);
    } catch (error) {
      if (ticket !== findTicket) return;
      findStatus.textContent = /answered 400/.test(error.message) ? "Type at least two letters of a street or neighbourhood name, or a latitude,longitude." : `Could not search: ${error.message}`;
      return;
    }
    if (ticket !== findTicket) return;
    const items = [
      ...answer.neighbourhoods.map((n) => resultButton(n.name, `Neighbourhood, ${n.force_name}`, () => showNeighbourhood(n.force, n.id), { "data-neighbourhood": `${n.force}/${n.id}` })),
      ...answer.streets.map((p) => resultButton(p.street.replace(/^On or near /, ""), `Street${p.neighbourhood_name ? ` in ${p.neighbourhood_name}, ${p.force_name}` : ` near ${p.latitude.toFixed(4)}, ${p.longitude.toFixed(4)}`}: ${p.snap_points} map point${p.snap_points === 1 ? "" : "s"}`,
        () => goToPlace(p.latitude, p.longitude, [p.south, p.west, p.north, p.east]), { "data-location": String(p.location_id) })),
    ];
    const total = answer.streets_matched + answer.neighbourhoods_matched;
    findStatus.replaceChildren(
      total ? `${count(answer.neighbourhoods_matched, "neighbourhood")} and ${count(answer.streets_matched, "street place")} match${total > items.length ? `; the best ${items.length} shown` : ""}. ` : `Nothing held matches “${text}”. `,
      apiLink(url),
    );
    findResults.replaceChildren(...items);
    findResults.hidden = !items.length;
    findResults.dataset.ready = JSON.stringify({ url, streets: answer.streets.length, neighbourhoods: answer.neighbourhoods.length });
  }
  $("find-form").addEventListener("submit", (event) => {
    event.preventDefault();
    findPlace($("find").value);
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
    state.window = TREND_WINDOWS.includes(Number(hash.get("window"))) ? Number(hash.get("window")) : 12;
    $("trend-window").value = String(state.window);

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
    const neighbourhood = (hash.get("neighbourhood") || "").split("/");
    if (neighbourhood.length === 2 && neighbourhood.every(Boolean)) showNeighbourhood(neighbourhood[0], neighbourhood[1], { fit: !view.every(Number.isFinite) || view.length !== 3 });
    if (hash.get("find")) {
      $("find").value = hash.get("find");
      state.find = hash.get("find");
      findPlace(state.find, { navigate: false });
    }
    saveHash();
  }
  start().catch((error) => {
    status.textContent = `Could not start: ${error.message}`;
    console.error(error);
  });
})();
