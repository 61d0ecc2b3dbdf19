// The dependency graph: resources in columns by dependency depth, an arrow from each
// dependency to its dependents, each box coloured by its status (docs/spec/runtime.md §20.6).
"use strict";

import { svg } from "./util.js";

const W = 130, H = 30, GX = 60, GY = 16, PAD = 8;

function depths(views) {
  const byName = new Map(views.map(v => [v.name, v]));
  const memo = new Map();
  const depth = (name, seen = new Set()) => {
    if (memo.has(name)) return memo.get(name);
    if (seen.has(name)) return 0; // a cycle cannot be planned; never loop
    seen.add(name);
    const v = byName.get(name);
    const d = v && v.depends_on.length ? 1 + Math.max(...v.depends_on.map(x => depth(x, seen))) : 0;
    memo.set(name, d);
    return d;
  };
  views.forEach(v => depth(v.name));
  return memo;
}

export function renderGraph(views) {
  const root = document.querySelector("#graph");
  root.replaceChildren();
  const d = depths(views);
  const cols = [];
  const pos = new Map();
  for (const v of views) {
    const c = d.get(v.name) || 0;
    (cols[c] = cols[c] || []).push(v.name);
    pos.set(v.name, { x: PAD + c * (W + GX), y: PAD + (cols[c].length - 1) * (H + GY) });
  }
  const rows = Math.max(1, ...cols.map(c => (c ? c.length : 0)));
  root.setAttribute("width", PAD * 2 + cols.length * W + Math.max(0, cols.length - 1) * GX);
  root.setAttribute("height", PAD * 2 + rows * H + (rows - 1) * GY);
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" });
  marker.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#656d76" }));
  defs.appendChild(marker);
  root.appendChild(defs);
  for (const v of views) {
    for (const dep of v.depends_on) {
      const a = pos.get(dep), b = pos.get(v.name);
      if (!a || !b) continue;
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
      root.appendChild(svg("path", { class: "edge", "data-from": dep, "data-to": v.name,
        d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, "marker-end": "url(#arrow)" }));
    }
  }
  for (const v of views) {
    const p = pos.get(v.name);
    const g = svg("g", { class: "node s-" + v.status, "data-resource": v.name, transform: `translate(${p.x},${p.y})` });
    g.appendChild(svg("rect", { width: W, height: H, rx: 6 }));
    const t = svg("text", { x: 8, y: H / 2 + 4 });
    t.textContent = `${v.name} · ${v.status}`;
    const title = svg("title");
    title.textContent = `${v.name} (${v.kind}): ${v.status}`;
    g.append(t, title);
    root.appendChild(g);
  }
}
