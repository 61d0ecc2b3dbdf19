// The resources table: live status, health history, restarts, CPU and memory, and the
// restart button with the stop or start button that fits the resource's state
// (docs/spec/runtime.md §20.6).
"use strict";

import { el, fmtBytes } from "./util.js";

const body = document.querySelector("#resources tbody");
const samples = new Map(); // resource -> {prev, last} of /api/stats entries
const usage = new Map(); // resource -> {cpu: [%], mem: [bytes]}, the newest keepUsage samples
const keepUsage = 60;
let current = []; // resources in the latest /api/stats answer

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

// cpuPercent is the CPU use between the last two samples, undefined without two.
function cpuPercent(name) {
  const s = samples.get(name);
  if (!s || !s.prev) return undefined;
  const dt = Date.parse(s.last.ts) - Date.parse(s.prev.ts);
  const used = s.last.cpu_ns - s.prev.cpu_ns;
  // A restart gives a new task whose counter starts again from zero.
  if (dt <= 0 || used < 0) return undefined;
  return (used / 1e6 / dt) * 100;
}

function cpuText(name) {
  const p = cpuPercent(name);
  return p === undefined ? "-" : `${p.toFixed(1)} %`;
}

function memText(name) {
  const s = samples.get(name);
  if (!s) return "-";
  const lim = s.last.memory_limit ? ` / ${fmtBytes(s.last.memory_limit)}` : "";
  return fmtBytes(s.last.memory_bytes) + lim;
}

// Statuses a hand stop applies to, and those a hand start applies to; in between
// (pending, pulling, building, stopping) the stop button is shown disabled.
const stoppable = new Set(["starting", "running", "healthy", "unhealthy"]);
const startable = new Set(["stopped", "exited", "failed"]);

// stateButton is "start" for a resource that does not run, else "stop".
function stateButton(v) {
  if (startable.has(v.status)) return opButton(v.name, "start", true);
  return opButton(v.name, "stop", stoppable.has(v.status));
}

// opButton POSTs /api/resources/{name}/{op}. The page's fetch carries the token
// cookie and its Origin, which the TCP listener requires of a state-changing request
// (§15.5). A refusal shows as the button's title and the row's .op-error.
function opButton(name, op, enabled) {
  const b = el("button", { type: "button", class: op }, op);
  b.disabled = !enabled;
  b.addEventListener("click", async () => {
    b.disabled = true;
    const resp = await fetch(`/api/resources/${encodeURIComponent(name)}/${op}`, { method: "POST" }).catch(e => ({ ok: false, statusText: e.message }));
    if (resp.ok) return; // the row is redrawn by the events that follow
    const e = resp.json ? await resp.json().catch(() => ({})) : {};
    b.title = `${op}: ${e.error || resp.statusText}`;
    const row = b.closest("tr");
    const msg = row && row.querySelector(".op-error");
    if (msg) msg.textContent = b.title;
    b.disabled = false;
  });
  return b;
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
    actions.append(logs, " ", opButton(v.name, "restart", true), " ", stateButton(v));
    actions.append(el("div", { class: "op-error muted" }));
    row.appendChild(actions);
    body.appendChild(row);
  }
}

// updateStats records a /api/stats answer and refreshes the CPU and memory cells.
export function updateStats(stats) {
  for (const s of stats) {
    const old = samples.get(s.resource);
    samples.set(s.resource, { prev: old ? old.last : null, last: s });
    record(s.resource, cpuPercent(s.resource), s.memory_bytes);
  }
  current = stats.map(s => s.resource);
  for (const row of body.querySelectorAll("tr[data-resource]")) {
    const name = row.dataset.resource;
    row.querySelector(".cpu").textContent = cpuText(name);
    row.querySelector(".mem").textContent = memText(name);
  }
}

// record appends one sample to a resource's usage history.
function record(name, cpu, mem) {
  if (!usage.has(name)) usage.set(name, { cpu: [], mem: [] });
  const h = usage.get(name);
  if (cpu !== undefined) h.cpu.push(cpu);
  h.mem.push(mem);
  for (const a of [h.cpu, h.mem]) if (a.length > keepUsage) a.splice(0, a.length - keepUsage);
}

// usageHistory returns [name, {cpu, mem}] of the resources with a running task.
export function usageHistory() {
  return current.filter(n => usage.has(n)).map(n => [n, usage.get(n)]);
}
