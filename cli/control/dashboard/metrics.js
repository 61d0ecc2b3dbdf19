// The metrics tab (docs/spec/runtime.md §20.6): per-resource CPU and memory from
// /api/stats with their recent history, and the OTLP metrics the apps sent
// (/api/otel/metrics), one table per service with each series' latest value and a
// sparkline of the points held.
"use strict";

import { el, fmtBytes, fmtTime, getJSON, messageRow } from "./util.js";
import { sparkline } from "./sparkline.js";
import { usageHistory } from "./resources.js";

const useBody = document.querySelector("#usage tbody");
const services = document.querySelector("#app-metrics");
const note = document.querySelector("#metrics-note");

// renderUsage draws the resource use table from the samples resources.js keeps.
export function renderUsage() {
  useBody.replaceChildren();
  for (const [name, h] of usageHistory()) {
    const row = el("tr", { "data-resource": name });
    row.appendChild(el("td", { "data-label": "Resource" }, name));
    const cpu = h.cpu.at(-1);
    const cpuTd = el("td", { class: "cpu", "data-label": "CPU" }, cpu === undefined ? "-" : `${cpu.toFixed(1)} %`);
    cpuTd.appendChild(sparkline(h.cpu, "cpu"));
    const mem = h.mem.at(-1);
    const memTd = el("td", { class: "mem", "data-label": "Memory" }, mem === undefined ? "-" : fmtBytes(mem));
    memTd.appendChild(sparkline(h.mem, "mem"));
    row.append(cpuTd, memTd);
    useBody.appendChild(row);
  }
  if (!useBody.firstChild) messageRow(useBody, 3, "no running task");
}

// seriesKey tells apart the series of one metric by their attributes.
function seriesKey(p) {
  const attrs = Object.entries(p.attributes || {}).sort().map(([k, v]) => `${k}=${v}`).join(", ");
  return { key: `${p.name}\u0000${attrs}`, attrs };
}

// group turns the points (oldest first) into service -> series -> points.
function group(points) {
  const out = new Map();
  for (const p of points) {
    const svc = p.service || p.resource || "unknown";
    if (!out.has(svc)) out.set(svc, new Map());
    const { key, attrs } = seriesKey(p);
    const series = out.get(svc);
    if (!series.has(key)) series.set(key, { name: p.name, unit: p.unit, type: p.type, attrs, points: [] });
    series.get(key).points.push(p);
  }
  return out;
}

// fmtValue shows a value with its unit; a histogram or summary shows its count too.
function fmtValue(p, unit) {
  const v = Number.isInteger(p.value) ? String(p.value) : p.value.toPrecision(4);
  const u = unit && unit !== "1" ? ` ${unit}` : ""; // "1" is the UCUM unit of a plain number
  const txt = unit === "By" ? fmtBytes(p.value) : v + u;
  return p.count ? `${txt} (count ${p.count})` : txt;
}

export async function loadMetrics() {
  let points;
  try {
    points = await getJSON("/api/otel/metrics?limit=5000");
  } catch (e) {
    note.textContent = e.message;
    services.replaceChildren();
    return;
  }
  note.textContent = points.length ? `${points.length} point(s) held` : "no metric received yet";
  services.replaceChildren();
  for (const [svc, series] of [...group(points)].sort((a, b) => a[0].localeCompare(b[0]))) {
    services.appendChild(serviceTable(svc, series));
  }
}

function serviceTable(svc, series) {
  const box = el("div", { class: "service", "data-service": svc });
  box.appendChild(el("h3", {}, svc));
  const table = el("table", { class: "metrics" });
  const head = el("tr");
  for (const h of ["Metric", "Attributes", "Latest", "History", "Time"]) head.appendChild(el("th", {}, h));
  table.appendChild(el("thead")).appendChild(head);
  const tbody = table.appendChild(el("tbody"));
  for (const s of [...series.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const last = s.points.at(-1);
    const row = el("tr", { "data-metric": s.name });
    const name = el("td", { class: "name", "data-label": "Metric" }, s.name);
    name.appendChild(el("div", { class: "muted" }, s.type.toLowerCase()));
    row.appendChild(name);
    row.appendChild(el("td", { class: "muted attrs", "data-label": "Attributes" }, s.attrs || "-"));
    row.appendChild(el("td", { class: "value", "data-label": "Latest" }, fmtValue(last, s.unit)));
    const hist = el("td", { "data-label": "History" });
    hist.appendChild(sparkline(s.points.map(p => p.value)));
    row.appendChild(hist);
    row.appendChild(el("td", { class: "muted", "data-label": "Time" }, fmtTime(last.time)));
    tbody.appendChild(row);
  }
  const wrap = el("div", { class: "scroll" });
  wrap.appendChild(table);
  box.appendChild(wrap);
  return box;
}

document.querySelector("#metrics-refresh").addEventListener("click", loadMetrics);
