// Traces the apps sent: the list, then one trace's spans as a waterfall
// (docs/spec/runtime.md §20.5-20.6).
"use strict";

import { el, bar, fmtMS, fmtTime, getJSON } from "./util.js";

const body = document.querySelector("#traces tbody");
const note = document.querySelector("#traces-note");
let selected = "";

export async function loadTraces() {
  let traces;
  try {
    traces = await getJSON("/api/otel/traces?limit=200");
  } catch (e) {
    note.textContent = e.message;
    body.replaceChildren();
    return;
  }
  note.textContent = traces.length ? `${traces.length} trace(s), newest first` : "no trace received yet";
  body.replaceChildren();
  for (const t of traces) {
    const row = el("tr", { class: "clickable" + (t.trace_id === selected ? " selected" : ""), "data-trace": t.trace_id });
    const name = el("td");
    name.append(el("strong", {}, t.root), el("div", { class: "muted mono" }, t.trace_id.slice(0, 16)));
    row.appendChild(name);
    row.appendChild(el("td", {}, t.services.join(", ")));
    row.appendChild(el("td", {}, t.errors ? `${t.spans} (${t.errors} error)` : String(t.spans)));
    row.appendChild(el("td", {}, fmtMS(t.duration_ms)));
    row.appendChild(el("td", {}, fmtTime(t.start)));
    row.addEventListener("click", () => showTrace(t.trace_id));
    body.appendChild(row);
  }
}

// ordered returns the spans depth-first from the roots, each with its depth.
function ordered(spans) {
  const ids = new Set(spans.map(s => s.span_id));
  const children = new Map();
  const roots = [];
  for (const s of spans) {
    if (s.parent_span_id && ids.has(s.parent_span_id)) {
      if (!children.has(s.parent_span_id)) children.set(s.parent_span_id, []);
      children.get(s.parent_span_id).push(s);
    } else roots.push(s);
  }
  const out = [];
  const walk = (s, depth) => {
    out.push({ s, depth });
    for (const c of children.get(s.span_id) || []) walk(c, depth + 1);
  };
  roots.forEach(r => walk(r, 0));
  return out;
}

export async function showTrace(id) {
  selected = id;
  for (const r of body.querySelectorAll("tr")) r.classList.toggle("selected", r.dataset.trace === id);
  const spans = await getJSON(`/api/otel/traces/${encodeURIComponent(id)}`);
  const t0 = Math.min(...spans.map(s => Date.parse(s.start)));
  const t1 = Math.max(...spans.map(s => Date.parse(s.end)));
  const total = Math.max(t1 - t0, 1);
  document.querySelector("#waterfall-panel").hidden = false;
  document.querySelector("#waterfall-id").textContent = id;
  const box = document.querySelector("#waterfall");
  box.replaceChildren();
  for (const { s, depth } of ordered(spans)) {
    const row = el("div", { class: "span-row", "data-span": s.span_id });
    const label = el("div", { class: "label", title: `${s.service}: ${s.name}` }, `${s.name} · ${s.service} · ${fmtMS(s.duration_ms)}`);
    label.style.paddingLeft = `${depth * 12}px`;
    const track = el("div", { class: "track" });
    const err = s.status_code === "Error";
    const title = `${s.name}: ${fmtMS(s.duration_ms)}${err && s.status_message ? " — " + s.status_message : ""}`;
    track.appendChild(bar(err ? "error" : "", Date.parse(s.start) - t0, s.duration_ms, total, title));
    row.append(label, track);
    box.appendChild(row);
  }
}
