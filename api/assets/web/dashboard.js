// The dashboard (/dashboard): for a force, every neighbourhood a row of monthly counts of a
// crime category group over a period, against a baseline period (mean per month and the
// change in per cent), sortable by any column, as the London crime dashboard shows its
// boroughs. Every figure comes from /api/v2/crimes/counts; the choice lives in the URL's hash.
"use strict";

(() => {
  const { apiUrl, getJSON, mapLimited, addMonths, monthLabel, monthSeconds, fmt, readHash, writeHash, el, apiLink } = Police;
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const selects = { force: $("force"), group: $("group"), from: $("from"), to: $("to"), baseline_from: $("baseline-from"), baseline_to: $("baseline-to") };

  let months = [];
  let rows = [];
  let forceRow = null;
  let shownMonths = [];
  let sort = { key: "name", dir: "ascending" };
  let loadTicket = 0;

  function fill(select, options, value) {
    select.replaceChildren(...options.map(([v, label]) => el("option", { value: v, text: label })));
    if (options.some(([v]) => v === value)) select.value = value;
  }
  const choice = () => Object.fromEntries(Object.entries(selects).map(([k, s]) => [k, s.value]));

  function saveHash() {
    writeHash({ ...choice(), sort: sort.key, dir: sort.dir });
  }

  const countsUrl = (area, c) => apiUrl("/api/v2/crimes/counts", {
    ...area, category: c.group, from: c.from, to: c.to, baseline_from: c.baseline_from, baseline_to: c.baseline_to,
  });

  function rowOf(name, id, answer, url) {
    const all = answer.baseline?.categories?.find((entry) => entry.category === "all") || {};
    return {
      name, id, url,
      months: answer.months.map((m) => (m.missing ? null : m.total)),
      baseline: all.baseline_mean ?? null,
      period: all.period_mean ?? null,
      change: all.change_percent ?? null,
    };
  }

  async function load() {
    const c = choice();
    if (c.from > c.to || c.baseline_from > c.baseline_to) {
      status.textContent = "Choose a period and a baseline whose first month comes before their last.";
      return;
    }
    saveHash();
    const ticket = ++loadTicket;
    status.textContent = "Loading…";
    $("table-holder").replaceChildren();
    try {
      const neighbourhoodsUrl = `/api/${encodeURIComponent(c.force)}/neighbourhoods`;
      const neighbourhoods = await getJSON(neighbourhoodsUrl);
      const forceUrl = countsUrl({ force: c.force }, c);
      const force = await getJSON(forceUrl);
      let done = 0;
      const answers = await mapLimited(neighbourhoods, 4, async (n) => {
        const url = countsUrl({ force: c.force, neighbourhood: n.id }, c);
        const answer = await getJSON(url);
        if (ticket === loadTicket) status.textContent = `Loading… ${++done} of ${neighbourhoods.length} neighbourhoods`;
        return rowOf(n.name, n.id, answer, url);
      });
      if (ticket !== loadTicket) return;
      rows = answers;
      forceRow = rowOf(`${selects.force.selectedOptions[0]?.textContent || c.force} (whole force)`, "", force, forceUrl);
      shownMonths = force.months.map((m) => m.month);
      render();
      status.textContent = `${rows.length} neighbourhoods of ${selects.force.selectedOptions[0]?.textContent}, ${selects.group.selectedOptions[0]?.textContent.toLowerCase()}: ${monthLabel(c.from)} to ${monthLabel(c.to)} against ${monthLabel(c.baseline_from)} to ${monthLabel(c.baseline_to)}.`;
      $("sources").replaceChildren("Sources: ", apiLink(neighbourhoodsUrl, "the neighbourhoods"), ", ", apiLink(forceUrl, "the force's counts"), " and each row's API link.");
      document.body.dataset.ready = JSON.stringify(c);
    } catch (error) {
      if (ticket === loadTicket) status.textContent = `Could not load the dashboard: ${error.message}`;
    }
  }

  function sortValue(row, key) {
    if (key === "name") return row.name.toLowerCase();
    if (key.startsWith("m")) return row.months[Number(key.slice(1))];
    return row[key];
  }
  function sortedRows() {
    const factor = sort.dir === "ascending" ? 1 : -1;
    return [...rows].sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      if (x === y) return a.name.localeCompare(b.name);
      if (x === null) return 1; // empty cells last either way
      if (y === null) return -1;
      return (x < y ? -1 : 1) * factor;
    });
  }

  function header(key, label, numeric) {
    const sorted = sort.key === key;
    return el("th", { scope: "col", class: numeric ? "num" : null, "aria-sort": sorted ? sort.dir : null },
      el("button", { type: "button", "data-sort": key, onclick: () => {
        sort = { key, dir: sorted && sort.dir === "ascending" ? "descending" : sorted ? "ascending" : numeric ? "descending" : "ascending" };
        saveHash();
        render();
      } }, label));
  }

  function cells(row) {
    const change = row.change === null ? "–" : `${row.change > 0 ? "+" : ""}${fmt(row.change)} %`;
    return [
      ...row.months.map((n, i) => el("td", { class: "num", "data-month": shownMonths[i], "data-value": n ?? "" }, fmt(n))),
      el("td", { class: "num", "data-key": "baseline", "data-value": row.baseline ?? "" }, fmt(row.baseline)),
      el("td", { class: "num", "data-key": "period", "data-value": row.period ?? "" }, fmt(row.period)),
      el("td", { class: `num ${row.change > 0 ? "up" : row.change < 0 ? "down" : ""}`, "data-key": "change", "data-value": row.change ?? "" }, change),
      el("td", {}, apiLink(row.url)),
    ];
  }

  function render() {
    const focused = document.activeElement?.dataset?.sort;
    const table = el("table", { class: "figures", id: "dashboard-table" },
      el("caption", { class: "visually-hidden", text: "Crimes per month in each neighbourhood, with the baseline and the change" }),
      el("thead", {}, el("tr", {},
        header("name", "Neighbourhood", false),
        shownMonths.map((m, i) => header(`m${i}`, monthLabel(m), true)),
        header("baseline", "Baseline mean / month", true),
        header("period", "Period mean / month", true),
        header("change", "Change", true),
        el("th", { scope: "col", text: "Source" }))),
      el("tbody", {}, sortedRows().map((row) => el("tr", { "data-neighbourhood": row.id }, el("th", { scope: "row", text: row.name }), cells(row)))),
      el("tfoot", {}, el("tr", { "data-neighbourhood": "" }, el("th", { scope: "row", text: forceRow.name }), cells(forceRow))),
    );
    $("table-holder").replaceChildren(table);
    if (focused) table.querySelector(`button[data-sort="${focused}"]`)?.focus();
    renderMultiples();
  }

  // Small multiples: one uPlot chart per row, in the table's order, on one y scale.
  let charts = [];
  function renderMultiples() {
    for (const chart of charts) chart.destroy();
    charts = [];
    const holder = $("multiples");
    holder.replaceChildren();
    const all = [...sortedRows(), forceRow];
    const xs = shownMonths.map(monthSeconds);
    const top = Math.max(1, ...rows.flatMap((row) => [...row.months, row.baseline].filter((n) => n !== null)));
    for (const row of all) {
      const isForce = row === forceRow;
      const figure = el("li", { class: "multiple", "data-neighbourhood": row.id },
        el("h3", { text: row.name }),
        el("p", { class: `source ${row.change > 0 ? "up" : row.change < 0 ? "down" : ""}`, text: row.change === null ? "No change to show" : `${row.change > 0 ? "+" : ""}${fmt(row.change)} % against the baseline` }));
      const plot = el("div", { role: "img", "aria-label": `${row.name}: ${row.months.map((n, i) => `${monthLabel(shownMonths[i])} ${fmt(n)}`).join(", ")}; baseline mean ${fmt(row.baseline)} per month` });
      figure.append(plot);
      holder.append(figure);
      const baseline = row.months.map(() => row.baseline);
      charts.push(new uPlot({
        width: 200, height: 110, legend: { show: false }, cursor: { show: false },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, isForce ? Math.max(1, max) : top] } },
        axes: [{ show: false }, { size: 36, font: "11px system-ui, sans-serif", ticks: { show: false }, gap: 2 }],
        series: [{}, { stroke: "#1d70b8", width: 2, points: { show: false } }, { stroke: "#505a5f", width: 1, dash: [4, 3], points: { show: false } }],
      }, [xs, row.months, baseline], plot));
    }
    holder.dataset.charts = String(charts.length);
  }

  async function start() {
    const [forces, dates, groups] = await Promise.all([
      getJSON("/api/forces"), getJSON("/api/crimes-street-dates"), getJSON("/api/v2/crime-category-groups"),
    ]);
    months = dates.map((d) => d.date).sort();
    if (!months.length) {
      status.textContent = "This server holds no crime data yet (police-api import <archive>).";
      return;
    }
    // Forces with data first: those named in the months held (crimes-street-dates lists
    // stop-and-search forces), then the rest.
    const held = new Set(dates.flatMap((d) => d["stop-and-search"] || []));
    const ordered = [...forces.filter((f) => held.has(f.id)), ...forces.filter((f) => !held.has(f.id))];
    const hash = readHash();
    fill(selects.force, ordered.map((f) => [f.id, f.name]), hash.get("force") || ordered[0]?.id);
    fill(selects.group, [...groups.map((g) => [g.id, g.name]), ["all-crime", "All crime"]], hash.get("group") || "neighbourhood-crime");
    // Default: the latest year against the year before it, or, with fewer than two years
    // held, the latest half of the months against the half before.
    const span = Math.max(1, Math.min(12, Math.floor(months.length / 2)));
    const latest = months[months.length - 1];
    const monthOptions = months.map((m) => [m, monthLabel(m)]);
    fill(selects.to, monthOptions, hash.get("to") || latest);
    fill(selects.from, monthOptions, hash.get("from") || addMonths(latest, -(span - 1)));
    fill(selects.baseline_to, monthOptions, hash.get("baseline_to") || addMonths(latest, -span));
    fill(selects.baseline_from, monthOptions, hash.get("baseline_from") || addMonths(latest, -(2 * span - 1)));
    if (hash.get("sort")) sort = { key: hash.get("sort"), dir: hash.get("dir") === "descending" ? "descending" : "ascending" };
    for (const select of Object.values(selects)) select.addEventListener("change", load);
    await load();
  }
  start().catch((error) => {
    status.textContent = `Could not start: ${error.message}`;
    console.error(error);
  });
})();
