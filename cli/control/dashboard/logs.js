// A resource's container log, followed live or read once, with a text filter
// (the logs endpoint of docs/spec/runtime.md §15.2).
"use strict";

import { el } from "./util.js";

const select = document.querySelector("#log-resource");
const follow = document.querySelector("#log-follow");
const filter = document.querySelector("#log-filter");
const pre = document.querySelector("#log");
const maxLines = 5000;
let lines = [];
let abort = null;

function matches(line) {
  const f = filter.value.trim().toLowerCase();
  return f === "" || line.toLowerCase().includes(f);
}

function render() {
  pre.textContent = lines.filter(matches).join("\n");
  pre.scrollTop = pre.scrollHeight;
}

function add(newLines) {
  lines.push(...newLines);
  if (lines.length > maxLines) lines = lines.slice(-maxLines);
  const shown = newLines.filter(matches);
  if (shown.length) {
    pre.textContent += (pre.textContent ? "\n" : "") + shown.join("\n");
    pre.scrollTop = pre.scrollHeight;
  }
}

async function stream() {
  if (abort) abort.abort();
  abort = new AbortController();
  lines = [];
  pre.textContent = "";
  const name = select.value;
  if (!name) return;
  const q = follow.checked ? "follow=1&tail=500" : "tail=500";
  try {
    const resp = await fetch(`/api/resources/${encodeURIComponent(name)}/logs?${q}`, { signal: abort.signal });
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      const parts = buf.split("\n");
      buf = parts.pop();
      add(parts.filter(p => p).map(p => JSON.parse(p).line));
    }
  } catch (e) {
    if (e.name !== "AbortError") add([`(log stream ended: ${e.message})`]);
  }
}

// setResources fills the selector, keeping the choice.
export function setResources(views) {
  const current = select.value;
  const names = views.map(v => v.name);
  if (names.join() === [...select.options].map(o => o.value).join()) return;
  select.replaceChildren(...names.map(n => el("option", { value: n }, n)));
  if (names.includes(current)) select.value = current;
}

// openLog shows name's log (from the resources table).
export function openLog(name) {
  select.value = name;
  stream();
}

// start begins streaming when the tab opens; stop ends it when it closes.
export function start() { if (!abort) stream(); }
export function stop() { if (abort) { abort.abort(); abort = null; } }

select.addEventListener("change", stream);
follow.addEventListener("change", stream);
filter.addEventListener("input", render);
