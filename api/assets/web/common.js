// Shared by the map (/) and the dashboard (/dashboard): URLs of this server's own API,
// fetching, months, numbers, colours and the state kept in the URL's hash.
"use strict";

const Police = (() => {
  /** `/api/…` with its query, parameters in the order given, empty ones left out. */
  function apiUrl(path, params = {}) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") query.append(key, String(value));
    }
    const text = query.toString().replace(/%2C/gi, ",").replace(/%3A/gi, ":").replace(/%2F/gi, "/");
    return text ? `${path}?${text}` : path;
  }

  /** Fetches JSON; rejects with the server's message on an error status. */
  async function getJSON(url, signal) {
    const response = await fetch(url, { signal, headers: { Accept: "application/json" } });
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw new Error(`${url} answered ${response.status}: ${text.slice(0, 200)}`);
    }
    return response.json();
  }

  /** Runs `task` over `items` with at most `limit` running at once; answers in order. */
  async function mapLimited(items, limit, task) {
    const results = new Array(items.length);
    let next = 0;
    async function worker() {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index], index);
      }
    }
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
  }

  /** `YYYY-MM` plus `n` months (negative goes back). */
  function addMonths(month, n) {
    const [y, m] = month.split("-").map(Number);
    const index = y * 12 + (m - 1) + n;
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
  }

  const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  /** `2024-06` → `Jun 2024`. */
  function monthLabel(month) {
    const [y, m] = month.split("-").map(Number);
    return `${MONTH_NAMES[m - 1]} ${y}`;
  }
  /** `YYYY-MM` → Unix seconds of its first day (uPlot's time axis). */
  function monthSeconds(month) {
    const [y, m] = month.split("-").map(Number);
    return Date.UTC(y, m - 1, 1) / 1000;
  }

  const numberFormat = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });
  /** 12345.6 → `12,345.6`; null → `–`. */
  function fmt(n) {
    return n === null || n === undefined ? "–" : numberFormat.format(n);
  }

  // Distinct colours for police.uk's categories, in /api/crime-categories order.
  const PALETTE = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#7f7f00", "#393b79", "#ad494a", "#637939", "#843c39", "#5254a3", "#bd9e39", "#7b4173",
  ];
  function categoryColour(categories, slug) {
    const index = categories.findIndex((c) => c.url === slug);
    return PALETTE[(index < 0 ? categories.length : index) % PALETTE.length];
  }

  /** The hash's `key=value&…` pairs. */
  function readHash() {
    return new URLSearchParams(location.hash.replace(/^#/, ""));
  }
  /** Replaces the hash (no new history entry) with `params`. */
  function writeHash(params) {
    const text = new URLSearchParams(params).toString().replace(/%2F/gi, "/").replace(/%2C/gi, ",").replace(/%3A/gi, ":");
    history.replaceState(null, "", `${location.pathname}${location.search}#${text}`);
  }

  /** `el("a", {href: "/"}, "text", child)`: an element with attributes and children. */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  /** A link to the API URL that produced a figure. */
  function apiLink(url, label = "API") {
    return el("a", { class: "api-link", href: url, title: `The answer behind this: ${url}` }, label);
  }

  return { apiUrl, getJSON, mapLimited, addMonths, monthLabel, monthSeconds, fmt, categoryColour, readHash, writeHash, el, apiLink };
})();
