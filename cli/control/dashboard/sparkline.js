// A small inline SVG line of a series of numbers, drawn without any library.
"use strict";

import { svg } from "./util.js";

const W = 96, H = 22;

// sparkline draws values (oldest first) scaled to their own range; one value or a
// flat series is a level line.
export function sparkline(values, cls = "") {
  const s = svg("svg", { class: "spark " + cls, width: W, height: H, viewBox: `0 0 ${W} ${H}`, "aria-hidden": "true" });
  const vs = values.filter(v => Number.isFinite(v));
  if (vs.length === 0) return s;
  const lo = Math.min(...vs), hi = Math.max(...vs);
  const y = v => hi === lo ? H / 2 : H - 2 - ((v - lo) / (hi - lo)) * (H - 4);
  const step = vs.length > 1 ? W / (vs.length - 1) : 0;
  const pts = vs.length > 1 ? vs.map((v, i) => `${(i * step).toFixed(1)},${y(v).toFixed(1)}`) : [`0,${y(vs[0])}`, `${W},${y(vs[0])}`];
  s.appendChild(svg("polyline", { points: pts.join(" ") }));
  return s;
}
