// lsctl dashboard (docs/spec/runtime.md §15.5, §20.6): tabs, the live state from /api/events,
// and the periodic reads of stats, the startup trace and the OTLP receiver's data.
"use strict";

import { getJSON } from "./util.js";
import { renderResources, updateStats } from "./resources.js";
import { renderGraph } from "./graph.js";
import { loadStartup } from "./timeline.js";
import * as logs from "./logs.js";
import { loadTraces } from "./traces.js";
import { loadOtelLogs } from "./otellogs.js";
import { loadMetrics, renderUsage } from "./metrics.js";

let views = [];
let history = {};
let tab = "overview";
let pending = null;

function showTab(name) {
  tab = name;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll("main > .tab")) s.hidden = s.id !== "tab-" + name;
  if (name === "logs") logs.start(); else logs.stop();
  if (name === "overview") pollStats();
  if (name === "traces") loadTraces();
  if (name === "otellogs") loadOtelLogs();
  if (name === "metrics") { pollStats(); loadMetrics(); }
}

function openLog(name) {
  showTab("logs");
  logs.openLog(name);
}

async function refresh() {
  pending = null;
  try {
    [views, history] = await Promise.all([getJSON("/api/resources"), getJSON("/api/history")]);
  } catch (e) {
    return;
  }
  renderResources(views, history, openLog);
  renderGraph(views);
  logs.setResources(views);
}

// schedule coalesces the refreshes of a burst of events.
function schedule() {
  if (!pending) pending = setTimeout(refresh, 100);
}

// pollStats keeps sampling while a tab that shows CPU and memory is open.
async function pollStats() {
  if (tab === "overview" || tab === "metrics") {
    try { updateStats(await getJSON("/api/stats")); } catch (e) { /* the next poll retries */ }
    if (tab === "metrics") renderUsage();
  }
}

async function pollStartup() {
  try {
    if ((await loadStartup()) === "starting") setTimeout(pollStartup, 1000);
  } catch (e) { setTimeout(pollStartup, 2000); }
}

async function pollOtel() {
  const p = document.querySelector("#otel-status");
  try {
    const st = await getJSON("/api/otel");
    if (!st.enabled) p.textContent = "off (observability.otel.enabled: false or up --no-otel)";
    else if (!st.receiving) p.textContent = "on, but the receiver could not open its ports (see lsctl's output)";
    else {
      const sig = st.signals;
      p.textContent = `receiving on ${st.http} (gRPC ${st.grpc}); ` +
        `${sig.traces.held} span(s), ${sig.logs.held} log record(s), ${sig.metrics.held} metric point(s) held of ${st.buffer} each` +
        (st.forward ? `; forwarding to ${st.forward}` : "");
    }
  } catch (e) { p.textContent = e.message; }
  if (tab === "traces") loadTraces();
  if (tab === "otellogs") loadOtelLogs();
  if (tab === "metrics") loadMetrics();
}

for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
document.querySelector("#traces-refresh").addEventListener("click", loadTraces);
document.querySelector("#otellogs-refresh").addEventListener("click", loadOtelLogs);
getJSON("/healthz").then(h => { document.querySelector("#project").textContent = h.project; }).catch(() => {});

const conn = document.querySelector("#conn");
const events = new EventSource("/api/events");
events.onopen = () => { conn.textContent = "live"; conn.classList.add("live"); schedule(); };
events.onerror = () => { conn.textContent = "disconnected"; conn.classList.remove("live"); };
events.onmessage = m => {
  schedule();
  if (JSON.parse(m.data).type === "stack_started") pollStartup();
};

refresh();
pollStartup();
pollStats();
pollOtel();
setInterval(pollStats, 2000);
setInterval(pollOtel, 3000);
