// The startup timeline: lsctl's own trace of this up, one row per resource with its
// image, prepare, start and readiness phases, and the critical path (docs/spec/runtime.md §20.4).
"use strict";

import { el, bar, fmtMS, getJSON } from "./util.js";

export async function loadStartup() {
  const tr = await getJSON("/api/startup");
  const total = Math.max(tr.duration_ms, 1);
  const t0 = Date.parse(tr.start);
  document.querySelector("#startup-total").textContent = `${tr.status}, ${fmtMS(tr.duration_ms)}`;
  const critical = new Set(tr.critical_path.map(s => s.resource));
  document.querySelector("#critical").textContent = tr.critical_path.length
    ? "critical path: " + tr.critical_path.map(s => `${s.resource} ${(s.duration_ms / 1000).toFixed(1)}s`).join(" → ")
    : "";
  const box = document.querySelector("#timeline");
  box.replaceChildren();
  for (const r of tr.resources) {
    const row = el("div", { class: "row" + (critical.has(r.name) ? " critical" : ""), "data-resource": r.name });
    row.appendChild(el("div", { class: "label" }, `${r.name} ${r.start ? fmtMS(r.duration_ms) : ""}`));
    const track = el("div", { class: "track" });
    for (const p of r.phases) {
      const title = `${r.name} ${p.name}: ${fmtMS(p.duration_ms)}${p.error ? " — " + p.error : ""}`;
      track.appendChild(bar(`ph-${p.name}${p.error ? " error" : ""}`, Date.parse(p.start) - t0, p.duration_ms, total, title));
    }
    row.appendChild(track);
    box.appendChild(row);
  }
  return tr.status;
}
