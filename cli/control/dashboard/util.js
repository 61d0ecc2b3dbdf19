// Small helpers shared by the dashboard's modules. Every text reaches the page through
// textContent, never as HTML.
"use strict";

export function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

// messageRow replaces a table body's rows with one line of text across cols columns.
export function messageRow(tbody, cols, text) {
  const row = el("tr");
  row.appendChild(el("td", { colspan: String(cols), class: "muted" }, text));
  tbody.replaceChildren(row);
}

export function svg(tag, attrs = {}) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

// getJSON returns the decoded body, or throws an Error carrying the API's message.
export async function getJSON(path) {
  const resp = await fetch(path);
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error(body.error || resp.statusText);
    err.status = resp.status;
    throw err;
  }
  return body;
}

export function fmtMS(ms) {
  if (ms < 1) return "<1 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export function fmtBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// fmtTime is the time of day, with the date when it is not today (the apps' clocks
// and the timestamps they send are their own).
export function fmtTime(ts) {
  const d = new Date(ts);
  if (isNaN(d)) return "";
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

// bar is a positioned bar of a timeline track, in percent of the total span.
export function bar(cls, start, dur, total, title) {
  const b = el("div", { class: "bar " + cls, title });
  const left = total > 0 ? (start / total) * 100 : 0;
  b.style.left = `${Math.min(100, Math.max(0, left))}%`;
  b.style.width = `${total > 0 ? Math.max(0.3, (dur / total) * 100) : 100}%`;
  return b;
}
