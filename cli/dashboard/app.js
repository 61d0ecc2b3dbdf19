// lsctl dashboard: lists the resource views, refreshes them on every event of
// /api/events, shows a resource's log and offers restart buttons (runtime.md §15.5).
"use strict";

const body = document.querySelector("#resources tbody");
let logAbort = null;

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function ports(v) {
  if (!v.ports || v.ports.length === 0) return "-";
  return v.ports.map(p => `${p.host_ip}:${p.host_port}->${p.container_port}`).join(", ");
}

async function refresh() {
  const resp = await fetch("/api/resources");
  const views = await resp.json();
  body.replaceChildren();
  for (const v of views) {
    const row = document.createElement("tr");
    cell(row, v.name);
    cell(row, v.kind);
    cell(row, v.status, "status-" + v.status);
    cell(row, ports(v));
    cell(row, v.image);
    cell(row, String(v.restarts));
    const actions = cell(row, "");
    const logs = document.createElement("button");
    logs.type = "button";
    logs.textContent = "logs";
    logs.addEventListener("click", () => showLog(v.name));
    const restart = document.createElement("button");
    restart.type = "button";
    restart.textContent = "restart";
    restart.addEventListener("click", () => fetch(`/api/resources/${encodeURIComponent(v.name)}/restart`, { method: "POST" }));
    actions.append(logs, " ", restart);
    body.appendChild(row);
  }
}

async function showLog(name) {
  if (logAbort) logAbort.abort();
  logAbort = new AbortController();
  document.querySelector("#logpane").hidden = false;
  document.querySelector("#logname").textContent = name;
  const pre = document.querySelector("#log");
  pre.textContent = "";
  const resp = await fetch(`/api/resources/${encodeURIComponent(name)}/logs?follow=1&tail=200`, { signal: logAbort.signal });
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const rec = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      pre.textContent += rec.line + "\n";
    }
    pre.scrollTop = pre.scrollHeight;
  }
}

document.querySelector("#logclose").addEventListener("click", () => {
  if (logAbort) logAbort.abort();
  document.querySelector("#logpane").hidden = true;
});

fetch("/healthz").then(r => r.json()).then(h => { document.querySelector("#project").textContent = h.project; });
const events = new EventSource("/api/events");
events.onopen = () => { document.querySelector("#conn").textContent = "live"; refresh(); };
events.onerror = () => { document.querySelector("#conn").textContent = "disconnected"; };
events.onmessage = () => refresh();
refresh();
