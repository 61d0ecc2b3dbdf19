// The resources table: live status, health history, restarts, CPU and memory, and a
// restart button per resource (docs/spec/runtime.md §20.6). The API has no stop or start
// endpoint, so there are no such buttons.
"use strict";

import { el, fmtBytes } from "./util.js";

const body = document.querySelector("#resources tbody");
const samples = new Map(); // resource -> {prev, last} of /api/stats entries

function ports(v) {
  if (!v.ports || v.ports.length === 0) return "-";
  return v.ports.map(p => `${p.host_ip}:${p.host_port}->${p.container_port}`).join(", ");
}

// historyCell shows the newest 24 events as coloured marks, the newest last.
function historyCell(events) {
  const td = el("td", { "data-label": "Health" });
  const strip = el("div", { class: "history" });
  for (const e of (events || []).slice(-24)) {
    strip.appendChild(el("span", { class: "e-" + e.type, title: `${e.type.replace("resource_", "")} ${new Date(e.ts).toLocaleTimeString()}` }));
  }
  td.appendChild(strip);
  return td;
}

function cpuText(name) {
  const s = samples.get(name);
  if (!s || !s.prev) return "-";
  const dt = Date.parse(s.last.ts) - Date.parse(s.prev.ts);
  if (dt <= 0) return "-";
  return `${(((s.last.cpu_ns - s.prev.cpu_ns) / 1e6 / dt) * 100).toFixed(1)} %`;
}

function memText(name) {
  const s = samples.get(name);
  if (!s) return "-";
  const lim = s.last.memory_limit ? ` / ${fmtBytes(s.last.memory_limit)}` : "";
  return fmtBytes(s.last.memory_bytes) + lim;
}

// render draws one row per view; onLogs opens a resource's log.
export function renderResources(views, history, onLogs) {
  body.replaceChildren();
  for (const v of views) {
    const row = el("tr", { "data-resource": v.name });
    const name = el("td", { "data-label": "Name" });
    name.append(el("strong", {}, v.name), el("div", { class: "muted" }, v.kind));
    row.appendChild(name);
    const st = el("td", { "data-label": "Status" });
    st.appendChild(el("span", { class: "status s-" + v.status }, v.status));
    if (v.last_error) st.appendChild(el("div", { class: "muted", title: v.last_error }, v.last_error.slice(0, 60)));
    row.appendChild(st);
    row.appendChild(historyCell(history[v.name]));
    row.appendChild(el("td", { class: "restarts", "data-label": "Restarts" }, String(v.restarts)));
    row.appendChild(el("td", { class: "cpu", "data-label": "CPU" }, cpuText(v.name)));
    row.appendChild(el("td", { class: "mem", "data-label": "Memory" }, memText(v.name)));
    row.appendChild(el("td", { "data-label": "Ports" }, ports(v)));
    row.appendChild(el("td", { class: "muted image", "data-label": "Image" }, v.image));
    const actions = el("td", { class: "actions" });
    const logs = el("button", { type: "button", class: "logs" }, "logs");
    logs.addEventListener("click", () => onLogs(v.name));
    const restart = el("button", { type: "button", class: "restart" }, "restart");
    restart.addEventListener("click", async () => {
      restart.disabled = true;
      const resp = await fetch(`/api/resources/${encodeURIComponent(v.name)}/restart`, { method: "POST" });
      if (!resp.ok) {
        const e = await resp.json().catch(() => ({}));
        restart.title = e.error || resp.statusText;
        restart.disabled = false;
      }
    });
    actions.append(logs, " ", restart);
    row.appendChild(actions);
    body.appendChild(row);
  }
}

// updateStats records a /api/stats answer and refreshes the CPU and memory cells.
export function updateStats(stats) {
  for (const s of stats) {
    const old = samples.get(s.resource);
    samples.set(s.resource, { prev: old ? old.last : null, last: s });
  }
  for (const row of body.querySelectorAll("tr[data-resource]")) {
    const name = row.dataset.resource;
    row.querySelector(".cpu").textContent = cpuText(name);
    row.querySelector(".mem").textContent = memText(name);
  }
}
