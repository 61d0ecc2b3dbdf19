// Log records the apps sent over OTLP, with a severity and a text filter
// (docs/spec/runtime.md §20.5-20.6).
"use strict";

import { el, fmtTime, getJSON, messageRow } from "./util.js";

const body = document.querySelector("#otellogs tbody");
const severity = document.querySelector("#otellog-severity");
const filter = document.querySelector("#otellog-filter");

export async function loadOtelLogs() {
  const q = new URLSearchParams({ limit: "500" });
  if (severity.value) q.set("severity", severity.value);
  if (filter.value.trim()) q.set("q", filter.value.trim());
  let recs;
  try {
    recs = await getJSON(`/api/otel/logs?${q}`);
  } catch (e) {
    messageRow(body, 4, e.message);
    return;
  }
  body.replaceChildren();
  if (recs.length === 0) messageRow(body, 4, "no log record received yet");
  for (const r of recs.reverse()) {
    const row = el("tr", { "data-severity": r.severity });
    row.appendChild(el("td", {}, fmtTime(r.time)));
    row.appendChild(el("td", { class: "sev-" + r.severity.toUpperCase() }, r.severity));
    row.appendChild(el("td", {}, r.service));
    row.appendChild(el("td", { class: "body" }, r.body));
    body.appendChild(row);
  }
}

severity.addEventListener("change", loadOtelLogs);
filter.addEventListener("input", loadOtelLogs);
