// planner serve: the what-if page. Every change is sent as {path: value} (the paths of planner.whatif.what_if)
// to /api/compare after a short pause; the server answers with the three-cloud comparison.
"use strict";

const COLORS = { aws: "#e07b00", gcp: "#1e8e3e", azure: "#0a6ed1", lambda: "#7e57c2" };
const DEBOUNCE_MS = 150;
const BAND_DELAY_MS = 700;
const SCALE_DELAY_MS = 300;
const MAX_UPLOAD = 1024 * 1024;

const state = {
  meta: null, view: null, overrides: {}, result: null, scale: null, band: null,
  seq: 0, monthsCloud: null, scaleWorkload: null, linkPeak: true, timer: null, bandTimer: null, scaleTimer: null, inflight: false, pending: false,
};

const $ = (id) => document.getElementById(id);
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k);
  return e;
};
const SVG = "http://www.w3.org/2000/svg";
const sv = (tag, attrs, text) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

// -- numbers -----------------------------------------------------------------------------------------
const usd0 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
const usd2 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2 });
const money = (x) => (x === null || x === undefined ? "unpriced" : usd0.format(x));
const cents = (x) => (x === null || x === undefined ? "unpriced" : usd2.format(x));
function short(x) {
  if (x === null || x === undefined) return "";
  const a = Math.abs(x);
  if (a >= 1e9) return "$" + (x / 1e9).toFixed(a >= 1e10 ? 0 : 1) + "B";
  if (a >= 1e6) return "$" + (x / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
  if (a >= 1e3) return "$" + (x / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
  return "$" + x.toFixed(0);
}
function sig(x, n = 3) {
  if (!isFinite(x) || x === 0) return x;
  return Number.parseFloat(x.toPrecision(n));
}
function numText(x) {
  if (x === null || x === undefined) return "";
  if (Math.abs(x) >= 1e7) return x.toExponential(2).replace("e+", "e");
  return String(sig(x, 6));
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// -- requests ----------------------------------------------------------------------------------------
async function api(path, body) {
  const opts = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(path, opts);
  const data = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(data.error || `${r.status} ${r.statusText}`);
  return data;
}

function showError(msg) {
  const e = $("error");
  e.textContent = msg ? "Error: " + msg : "";
  e.hidden = !msg;
}

function setStatus(text) { $("status").textContent = text; }

// -- start ---------------------------------------------------------------------------------------------
async function start() {
  try {
    state.meta = await api("/api/meta");
  } catch (err) { showError(err.message); return; }
  fillScenarioSelect();
  $("scenario-select").addEventListener("change", (ev) => loadScenario(ev.target.value));
  $("upload").addEventListener("change", onUpload);
  $("reset").addEventListener("click", () => { state.overrides = {}; renderControls(); changed(true); });
  $("download-scenario").addEventListener("click", () => download("/api/download/scenario"));
  $("download-report").addEventListener("click", () => download("/api/download/report"));
  $("download-html").addEventListener("click", () => download("/api/download/report", { format: "html" }));
  $("cumulative").addEventListener("change", () => drawHorizon());
  $("uncertainty").addEventListener("change", () => {
    state.band = null; drawHorizon();
    if ($("uncertainty").checked) refreshBand(state.seq); else $("band-note").hidden = true;
  });
  $("scale-workload").addEventListener("change", (ev) => { state.scaleWorkload = ev.target.value; refreshScale(state.seq); });
  $("uncertainty-toggle").hidden = !state.meta.features.uncertainty;
  const c = state.meta.catalog;
  $("catalog").textContent = `Catalog: ${c.name}, fetched ${c.fetched_at}, ${c.age_days} days old${c.stale ? " (stale: refresh it with planner catalog refresh)" : ""}` +
    (state.meta.pricebook ? `; price book ${state.meta.pricebook}` : "") + ". Prices are list prices unless a price book applies.";
  if (state.meta.scenarios.length) await loadScenario(state.meta.scenarios[0].id);
  else { setStatus(""); $("headline").textContent = "No scenario yet: upload a scenario file (YAML) to start."; }
}

function fillScenarioSelect(selected) {
  const s = $("scenario-select");
  s.replaceChildren(...state.meta.scenarios.map((x) =>
    el("option", { value: x.id, text: `${x.name} (${x.label}${x.origin === "upload" ? ", uploaded" : ""})` })));
  if (selected) s.value = selected;
}

async function loadScenario(id, view) {
  try {
    state.view = view || (await api("/api/scenarios/" + encodeURIComponent(id)));
  } catch (err) { showError(err.message); return; }
  $("scenario-select").value = state.view.id;
  state.overrides = {};
  state.result = null; state.scale = null; state.band = null; state.monthsCloud = null;
  const sw = state.view.scale_workloads;
  state.scaleWorkload = sw.length ? sw[0] : null;
  $("scale-workload").replaceChildren(...sw.map((n) => el("option", { value: n, text: n })));
  $("scale-panel").hidden = !sw.length;
  const c = control("qps_mean"), p = control("qps_peak");
  state.linkPeak = !!(c && p && c.value && p.value);
  renderControls();
  changed(true);
}

async function onUpload(ev) {
  const file = ev.target.files[0];
  ev.target.value = "";
  if (!file) return;
  if (file.size > MAX_UPLOAD) {
    showError(`${file.name}: is larger than ${MAX_UPLOAD / 1024} KiB, too big for a scenario; check that this is the right file`);
    return;
  }
  setStatus("uploading…");
  try {
    const r = await fetch("/api/upload", { method: "POST", headers: { "X-Filename": encodeURIComponent(file.name), "Content-Type": "application/octet-stream" }, body: file });
    const data = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
    if (!r.ok) throw new Error(data.error);
    state.meta.scenarios.push({ id: data.id, label: data.label, name: data.name, origin: data.origin });
    fillScenarioSelect(data.id);
    showError("");
    await loadScenario(data.id, data);
  } catch (err) { showError(err.message); setStatus(""); }
}

async function download(path, extra) {
  if (!state.view) return;
  setStatus("preparing the download…");
  try {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ scenario: state.view.id, overrides: state.overrides, ...extra }) });
    if (!r.ok) { const d = await r.json().catch(() => ({})); throw new Error(d.error || r.statusText); }
    const name = (/filename="([^"]+)"/.exec(r.headers.get("content-disposition") || "") || [])[1] || "download";
    const url = URL.createObjectURL(await r.blob());
    const a = el("a", { href: url, download: name });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    setStatus(`downloaded ${name}`);
  } catch (err) { showError(err.message); setStatus(""); }
}

// -- controls ------------------------------------------------------------------------------------------
function control(field, group) {
  if (!state.view) return null;
  const g = group === undefined ? (state.view.scale_workloads[0] ?? null) : group;
  return state.view.controls.find((c) => c.field === field && (g === null || c.group === g)) || null;
}
const current = (c) => (c.path in state.overrides ? state.overrides[c.path] : c.value);

function setValue(c, value) {
  if (same(value, c.value)) delete state.overrides[c.path]; else state.overrides[c.path] = value;
  // the peak follows the mean, keeping the file's peak/mean ratio (both are sent, as two --set options would be)
  if (c.field === "qps_mean" && state.linkPeak) {
    const peak = state.view.controls.find((x) => x.field === "qps_peak" && x.group === c.group);
    if (peak && peak.value && c.value) {
      const v = value === null ? null : sig(value * (peak.value / c.value), 4);
      if (same(v, peak.value) || value === null) delete state.overrides[peak.path]; else state.overrides[peak.path] = v;
      syncControl(peak);
    }
  }
  markChanged();
  changed(false);
}

function markChanged() {
  for (const node of document.querySelectorAll(".ctl")) node.classList.toggle("changed", node.dataset.path in state.overrides);
  $("reset").disabled = !Object.keys(state.overrides).length;
}

const toPos = (c, v) => {
  if (v === null || v === undefined) return 500;
  const t = c.log ? Math.log(v / c.min) / Math.log(c.max / c.min) : (v - c.min) / (c.max - c.min);
  return Math.round(Math.min(1, Math.max(0, t)) * 1000);
};
const fromPos = (c, pos) => {
  const t = pos / 1000;
  let v = c.log ? c.min * Math.pow(c.max / c.min, t) : c.min + t * (c.max - c.min);
  if (c.kind === "int") return Math.max(1, Math.round(v));
  if (c.step) v = Math.round(v / c.step) * c.step;
  v = c.log ? sig(v, 3) : sig(v, 6);
  return v;
};

function syncControl(c) {
  const node = document.querySelector(`.ctl[data-path="${CSS.escape(c.path)}"]`);
  if (!node) return;
  const v = current(c);
  const range = node.querySelector("input[type=range]");
  const num = node.querySelector("input[type=number]");
  if (range) range.value = toPos(c, v);
  if (num) num.value = v === null || v === undefined ? "" : numText(v);
  const f = node.querySelector(".factor");
  if (f) f.textContent = factorText(v);
}

function factorText(v) {
  const pct = Math.round((v - 1) * 100);
  return `×${v.toFixed(2)}` + (pct ? ` (${pct > 0 ? "+" : "−"}${Math.abs(pct)}%)` : " (list)");
}

function numberControl(c) {
  const v = current(c);
  const range = el("input", { type: "range", min: 0, max: 1000, step: 1, value: toPos(c, v), "data-path": c.path, "aria-label": c.label });
  const row = el("div", { class: "row" }, range);
  let num = null;
  if (c.kind === "factor") {
    const f = el("span", { class: "factor", text: factorText(v) });
    row.append(f);
  } else {
    num = el("input", { type: "number", value: v === null ? "" : numText(v), step: "any", "data-path": c.path,
      placeholder: c.nullable ? "none" : "", "aria-label": c.label + " (value)" });
    row.append(num);
  }
  range.addEventListener("input", () => {
    const x = fromPos(c, Number(range.value));
    if (num) num.value = numText(x);
    if (c.kind === "factor") row.querySelector(".factor").textContent = factorText(x);
    setValue(c, x);
  });
  if (num) num.addEventListener("change", () => {
    const text = num.value.trim();
    if (text === "") { if (c.nullable) { setValue(c, null); range.value = 500; } return; }
    const x = c.kind === "int" ? Math.round(Number(text)) : Number(text);
    if (!isFinite(x)) return;
    range.value = toPos(c, x);
    setValue(c, x);
  });
  const was = c.value === null ? "none" : c.kind === "factor" ? `×${c.value}` : numText(c.value);
  const wrap = el("div", { class: "ctl", "data-path": c.path },
    el("div", { class: "lab" }, el("span", { text: c.label }), el("span", { class: "was", text: `file: ${was}` })), row);
  if (c.field === "qps_mean") {
    const peak = state.view.controls.find((x) => x.field === "qps_peak" && x.group === c.group);
    if (peak && peak.value && c.value) {
      const box = el("input", { type: "checkbox", checked: state.linkPeak });
      box.addEventListener("change", () => { state.linkPeak = box.checked; });
      wrap.append(el("label", { class: "link" }, box, `peak follows mean (×${sig(peak.value / c.value, 3)})`));
    }
  }
  return wrap;
}

function selectControl(c) {
  const v = current(c);
  const s = el("select", { "data-path": c.path, "aria-label": c.label },
    ...c.options.map((o) => el("option", { value: o, text: o, selected: o === v })));
  s.addEventListener("change", () => setValue(c, s.value));
  return el("div", { class: "ctl", "data-path": c.path }, el("div", { class: "lab" }, el("span", { text: c.label })), s);
}

function multiControl(c) {
  const v = current(c);
  const chosen = new Set(v === null ? c.options : v);
  const chips = el("div", { class: "chips" });
  for (const o of c.options) {
    const box = el("input", { type: "checkbox", value: o, checked: chosen.has(o), "data-path": c.path });
    box.addEventListener("change", () => {
      const boxes = [...chips.querySelectorAll("input")];
      let picked = boxes.filter((b) => b.checked).map((b) => b.value);
      if (!picked.length) { box.checked = true; return; } // at least one stays chosen
      if (c.value === null && picked.length === c.options.length) picked = null; // all = the default
      setValue(c, picked);
    });
    chips.append(el("label", { class: "chip" }, box, o.replaceAll("_", "-")));
  }
  return el("div", { class: "ctl", "data-path": c.path }, el("div", { class: "lab" }, el("span", { text: c.label })), chips);
}

function renderControls() {
  const box = $("controls");
  box.replaceChildren();
  if (!state.view) return;
  const make = (c) => (c.kind === "select" ? selectControl(c) : c.kind === "multi" ? multiControl(c) : numberControl(c));
  const sections = [
    ["Scenario", (c) => ["horizon_months", "budget_usd_per_month"].includes(c.path), true],
    ["Clouds and purchasing", (c) => ["clouds", "purchase_options", "placement"].includes(c.path) || c.path.startsWith("regions."), false],
    ["Price changes", (c) => c.path.startsWith("prices."), false],
  ];
  for (const [title, pick, open] of sections) {
    const cs = state.view.controls.filter((c) => !c.group && pick(c));
    if (cs.length) box.append(el("details", { class: "group", open }, el("summary", {}, title), el("div", { class: "body" }, cs.map(make))));
  }
  for (const w of state.view.workloads) {
    const cs = state.view.controls.filter((c) => c.group === w.name);
    if (!cs.length) continue;
    const kind = w.type === "serving" ? `${(w.style || "").replace("_", "-")} serving` : w.type;
    box.append(el("details", { class: "group", open: true, "data-workload": w.name },
      el("summary", {}, w.name, el("span", { class: "kind", text: kind })), el("div", { class: "body" }, cs.map(make))));
  }
  markChanged();
}

// -- refresh -------------------------------------------------------------------------------------------
function changed(now) {
  clearTimeout(state.timer);
  $("results").classList.add("stale");
  setStatus("updating…");
  state.timer = setTimeout(refresh, now ? 0 : DEBOUNCE_MS);
}

// one comparison in flight at a time: changes made meanwhile are sent together when it returns, so a dragged
// slider never queues a backlog of comparisons on the server
async function refresh() {
  if (state.inflight) { state.pending = true; return; }
  state.inflight = true;
  try { await compareNow(); } finally {
    state.inflight = false;
    if (state.pending) { state.pending = false; refresh(); }
  }
}

async function compareNow() {
  const seq = ++state.seq;
  const body = { scenario: state.view.id, overrides: { ...state.overrides } };
  const t0 = performance.now();
  try {
    const r = await api("/api/compare", body);
    // an answer for a scenario no longer on screen is dropped; one overtaken by later changes is shown (still
    // marked stale) while the later changes are compared
    if (seq !== state.seq || body.scenario !== state.view.id) return;
    state.result = r;
    showError("");
    renderResults();
    setStatus(state.pending ? "updating…" : `updated in ${Math.round(performance.now() - t0)} ms`);
    if (state.pending) return;
    $("results").classList.remove("stale");
    document.body.dataset.seq = String(seq);
  } catch (err) {
    if (seq !== state.seq || state.pending) return;
    showError(err.message);
    setStatus("not updated");
    document.body.dataset.seq = String(seq);
    return;
  }
  // the scaling curve is nine more comparisons: asked for once the levers have been still for a moment, so that
  // dragging a slider is answered with totals first
  clearTimeout(state.scaleTimer);
  state.scaleTimer = setTimeout(() => { if (seq === state.seq) refreshScale(seq); }, SCALE_DELAY_MS);
  state.band = null;
  // the band is many comparisons: drawn once the levers have been still for a moment
  clearTimeout(state.bandTimer);
  if ($("uncertainty").checked) {
    $("band-note").hidden = false;
    $("band-note").textContent = "Computing the P10–P90 band…";
    state.bandTimer = setTimeout(() => { if (seq === state.seq) refreshBand(seq); }, BAND_DELAY_MS);
  }
}

async function refreshScale(seq) {
  if (!state.scaleWorkload) return;
  try {
    const r = await api("/api/scale", { scenario: state.view.id, overrides: state.overrides, workload: state.scaleWorkload });
    if (seq !== state.seq) return;
    state.scale = r;
    drawScale();
  } catch (err) { if (seq === state.seq) showError(err.message); }
}

async function refreshBand(seq) {
  $("band-note").hidden = false;
  $("band-note").textContent = "Computing the P10–P90 band…";
  try {
    const r = await api("/api/band", { scenario: state.view.id, overrides: state.overrides });
    if (seq !== state.seq) return;
    state.band = r;
    $("band-note").textContent = r.note || "";
    drawHorizon();
  } catch (err) { if (seq === state.seq) $("band-note").textContent = "No band: " + err.message; }
}

// -- results -------------------------------------------------------------------------------------------
function renderResults() {
  const r = state.result;
  renderHeadline(r);
  renderCards(r);
  drawHorizon();
  renderMonths(r);
  $("summary").replaceChildren(...r.summary.map((s) => el("li", { text: s })));
  $("warnings").replaceChildren(...r.warnings.map((s) => el("li", { text: s })));
  $("notes-panel").querySelector("summary").textContent = `Notes from the comparison (${r.summary.length + r.warnings.length})`;
}

const NAME = (c) => c.toUpperCase();

function renderHeadline(r) {
  const h = $("headline");
  const w = r.winner;
  const months = r.scenario.horizon_months;
  h.className = "headline" + (w ? (w.too_close_to_call ? " close" : "") : " none");
  if (!w) {
    h.replaceChildren(el("div", { class: "big" }, el("span", { class: "badge", text: "no winner" }), "No cloud could price every workload over the horizon"),
      el("div", { class: "sub", text: r.summary[0] || "" }));
    return;
  }
  const runner = w.runner_up ? NAME(w.runner_up) : null;
  if (w.too_close_to_call) {
    h.replaceChildren(
      el("div", { class: "big" }, el("span", { class: "badge", text: "too close to call" }),
        el("span", { class: "who", text: `${NAME(w.cloud)} and ${runner}` }), ` within ${money(w.margin_usd)} over ${months} months`),
      el("div", { class: "sub", text: `${NAME(w.cloud)} is cheapest by ${w.margin_pct_of_differing_costs ?? w.margin_pct}% of the costs that differ between clouds, under the ${w.close_call_pct}% that list-price changes and sizing estimates can move: treat them as tied.` }));
    return;
  }
  const big = el("div", { class: "big" }, el("span", { class: "badge", text: "cheapest" }),
    el("span", { class: "who", text: `${NAME(w.cloud)}` }), ` (${w.region}) at ${money(w.horizon_total)} over ${months} months`);
  const sub = runner
    ? `${money(w.margin_usd)} (${w.margin_pct}%) less than ${runner}` + (w.margin_pct_of_differing_costs !== null && w.margin_pct_of_differing_costs !== w.margin_pct ? `; ${w.margin_pct_of_differing_costs}% of the costs that differ between clouds` : "") + "."
    : "The only cloud compared.";
  h.replaceChildren(big, el("div", { class: "sub", text: sub }));
}

function renderCards(r) {
  const win = r.winner && !r.winner.too_close_to_call ? r.winner.cloud : null;
  const cards = r.clouds.map((c) => {
    const base = r.base[c.cloud];
    let delta = null;
    if (Object.keys(r.changes).length && base !== undefined && base !== null && c.horizon_total !== null) {
      const d = c.horizon_total - base;
      const pct = base ? (d / base) * 100 : 0;
      const cls = Math.abs(d) < 0.005 ? "same" : d > 0 ? "up" : "down";
      const text = cls === "same" ? "no change from the file" : `${d > 0 ? "+" : "−"}${money(Math.abs(d))} (${d > 0 ? "+" : "−"}${Math.abs(pct).toFixed(1)}%) vs the file${r.base_horizon_months !== r.scenario.horizon_months ? ` (${r.base_horizon_months} months)` : ""}`;
      delta = el("div", { class: `delta ${cls}`, text });
    }
    // month 1 per workload (a workload's line items added up; unpriced when one of them is)
    const per = new Map();
    for (const i of c.items) {
      const w = per.get(i.workload) || { cost: 0, missing: null, lines: [] };
      if (i.monthly_cost === null) w.missing = i.status; else w.cost += i.monthly_cost;
      w.lines.push(`${i.description}${i.purchase_option ? " (" + i.purchase_option.replaceAll("_", "-") + ")" : ""}: ${i.monthly_cost === null ? i.status : cents(i.monthly_cost)}`);
      per.set(i.workload, w);
    }
    const items = el("ul", { class: "items" }, [...per].map(([name, w]) =>
      el("li", { title: w.lines.join("\n") },
        el("span", { text: name }), el("span", { text: w.missing !== null ? w.missing : money(w.cost) }))));
    return el("div", { class: `card c-${c.cloud}${c.cloud === win ? " win" : ""}`, "data-cloud": c.cloud },
      el("div", { class: "name" }, el("span", { text: NAME(c.cloud) }), el("span", { class: "region", text: c.region })),
      el("div", { class: "total", "data-total": c.horizon_total ?? "", text: money(c.horizon_total) }),
      el("div", { class: "per", text: `${r.scenario.horizon_months}-month total · month 1 ${money(c.month_1)} · average ${money(c.average_month)}` +
        (c.commitment_tail ? ` · + ${money(c.commitment_tail)} commitment tail` : "") }),
      delta,
      c.unpriced.length ? el("div", { class: "bad", text: "Could not price: " + c.unpriced.join("; ") }) : null,
      items);
  });
  $("cards").replaceChildren(...cards);
}

function renderMonths(r) {
  const clouds = r.clouds.map((c) => c.cloud);
  if (!clouds.includes(state.monthsCloud)) state.monthsCloud = r.winner ? r.winner.cloud : clouds[0];
  $("month-tabs").replaceChildren(...clouds.map((c) => el("button", { type: "button", role: "tab", "aria-selected": String(c === state.monthsCloud),
    onclick: () => { state.monthsCloud = c; renderMonths(state.result); }, text: NAME(c) })));
  const c = r.clouds.find((x) => x.cloud === state.monthsCloud);
  const budget = r.scenario.budget_usd_per_month;
  const head = el("tr", {}, el("th", { text: "Month" }), c.workloads.map((w) => el("th", { text: w })), el("th", { text: "Total" }));
  const rows = c.months.map((m) => el("tr", { class: budget && m.total !== null && m.total > budget ? "over" : null },
    el("td", { text: String(m.month) }),
    m.cells.map((x) => x === null ? el("td", {}) : el("td", { class: x.cost === null ? "missing" : null, title: x.what || null },
      x.cost === null ? "unpriced" : cents(x.cost), x.what ? el("span", { class: "what", text: x.what }) : null)),
    el("td", { class: "total", text: cents(m.total) })));
  $("months").replaceChildren(el("thead", {}, head), el("tbody", {}, rows));
}

// -- charts --------------------------------------------------------------------------------------------
function niceTicks(lo, hi, n = 5) {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(sig(v, 12));
  return out;
}

function lineChart(svg, opt) {
  const W = 760, H = 300, L = 70, R = 110, T = 14, B = 38;
  svg.replaceChildren();
  const xs = opt.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = opt.series.flatMap((s) => s.points.map((p) => p[1])).concat(opt.bands ? opt.bands.flatMap((b) => b.hi.map((p) => p[1])) : []);
  if (opt.hline) ys.push(opt.hline.y);
  if (!xs.length) { svg.append(sv("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, opt.empty || "nothing to show")); return; }
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (x0 === x1) { x0 -= opt.xlog ? x0 / 2 : 1; x1 += opt.xlog ? x1 : 1; }
  const y1 = Math.max(...ys, 0) * 1.06 || 1;
  const yt = niceTicks(0, y1, 5);
  const ymax = Math.max(yt[yt.length - 1], y1);
  const fx = opt.xlog ? (x) => L + (Math.log(x / x0) / Math.log(x1 / x0)) * (W - L - R) : (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const fy = (y) => T + (1 - y / ymax) * (H - T - B);
  const g = sv("g", {});
  for (const t of yt) {
    g.append(sv("line", { class: "grid", x1: L, x2: W - R, y1: fy(t), y2: fy(t) }));
    g.append(sv("text", { x: L - 6, y: fy(t) + 4, "text-anchor": "end" }, short(t)));
  }
  const xt = opt.xlog ? logTicks(x0, x1) : niceTicks(x0, x1, Math.min(12, Math.max(2, Math.round(x1 - x0)))).filter((v) => !opt.xint || Number.isInteger(v));
  for (const t of xt) g.append(sv("text", { x: fx(t), y: H - B + 16, "text-anchor": "middle" }, opt.xfmt ? opt.xfmt(t) : String(t)));
  g.append(sv("line", { class: "axis", x1: L, x2: W - R, y1: fy(0), y2: fy(0) }));
  g.append(sv("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle" }, opt.xlabel));
  g.append(sv("text", { x: 12, y: (T + H - B) / 2, transform: `rotate(-90 12 ${(T + H - B) / 2})`, "text-anchor": "middle" }, opt.ylabel));
  svg.append(g);
  for (const b of opt.bands || []) {
    const pts = b.hi.map((p) => `${fx(p[0])},${fy(p[1])}`).concat(b.lo.slice().reverse().map((p) => `${fx(p[0])},${fy(p[1])}`));
    svg.append(sv("polygon", { points: pts.join(" "), fill: b.color, "fill-opacity": 0.16, stroke: "none", "data-band": b.name }));
  }
  if (opt.hline) {
    svg.append(sv("line", { x1: L, x2: W - R, y1: fy(opt.hline.y), y2: fy(opt.hline.y), stroke: "#b91c1c", "stroke-dasharray": "5 4", "stroke-width": 1.2 }));
    svg.append(sv("text", { x: L + 6, y: fy(opt.hline.y) - 5, fill: "#b91c1c" }, opt.hline.label));
  }
  if (opt.caption) svg.append(sv("text", { x: L + 6, y: T + 10, fill: "#b91c1c" }, opt.caption));
  if (opt.marker !== undefined && opt.marker !== null) {
    const mx = fx(opt.marker);
    svg.append(sv("line", { x1: mx, x2: mx, y1: T, y2: fy(0), stroke: "#6b7280", "stroke-dasharray": "3 3" }));
    svg.append(sv("text", { x: mx + 4, y: T + 10 }, opt.markerLabel || ""));
  }
  const labels = [];
  for (const s of opt.series) {
    const segs = [];
    let cur = [];
    for (const p of s.points) { if (p[1] === null) { if (cur.length) segs.push(cur); cur = []; } else cur.push(p); }
    if (cur.length) segs.push(cur);
    for (const seg of segs) {
      svg.append(sv("polyline", { points: seg.map((p) => `${fx(p[0]).toFixed(1)},${fy(p[1]).toFixed(1)}`).join(" "), fill: "none",
        stroke: s.color, "stroke-width": 2.4, "stroke-linejoin": "round", "data-series": s.name }));
      for (const p of seg) {
        const dot = sv("circle", { cx: fx(p[0]).toFixed(1), cy: fy(p[1]).toFixed(1), r: seg.length > 40 ? 0 : 3, fill: s.color });
        dot.append(sv("title", {}, `${s.label}: ${opt.xfmt ? opt.xfmt(p[0]) : p[0]} → ${cents(p[1])}${p[2] ? " · " + p[2] : ""}`));
        svg.append(dot);
      }
    }
    const last = s.points.filter((p) => p[1] !== null).pop();
    if (last) labels.push({ y: fy(last[1]), text: s.label, color: s.color });
  }
  labels.sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) if (labels[i].y - labels[i - 1].y < 14) labels[i].y = labels[i - 1].y + 14;
  for (const l of labels) svg.append(sv("text", { x: W - R + 8, y: l.y + 4, fill: l.color, "font-weight": 650 }, l.text));
}

function logTicks(x0, x1) {
  const out = [];
  for (let e = Math.floor(Math.log10(x0)); e <= Math.ceil(Math.log10(x1)); e++) {
    for (const m of [1, 2, 5]) { const v = m * Math.pow(10, e); if (v >= x0 * 0.999 && v <= x1 * 1.001) out.push(v); }
  }
  return out;
}

function drawHorizon() {
  const r = state.result;
  if (!r) return;
  const cum = $("cumulative").checked;
  const acc = (vals) => { let s = 0; return vals.map((v) => (v === null || s === null ? (s = null) : (s += v))); };
  const series = r.clouds.map((c) => {
    const vals = cum ? acc(c.monthly) : c.monthly;
    return { name: c.cloud, label: `${NAME(c.cloud)} ${short(cum ? vals[vals.length - 1] : c.horizon_total)}`, color: COLORS[c.cloud] || "#555",
      points: vals.map((v, i) => [i + 1, v]) };
  });
  const bands = [];
  if ($("uncertainty").checked && state.band && state.band.clouds) {
    for (const b of state.band.clouds) {
      const lo = cum ? b.cumulative_p10 : b.monthly_p10, hi = cum ? b.cumulative_p90 : b.monthly_p90;
      if (lo && hi) bands.push({ name: b.cloud, color: COLORS[b.cloud] || "#555", lo: lo.map((v, i) => [i + 1, v]), hi: hi.map((v, i) => [i + 1, v]) });
    }
  }
  const budget = r.scenario.budget_usd_per_month;
  const top = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1] || 0)), ...bands.flatMap((b) => b.hi.map((p) => p[1] || 0)));
  // a budget far above the spend would flatten the lines: it is named instead of drawn
  const onChart = budget && !cum && budget <= 2 * top;
  lineChart($("chart-horizon"), { series, bands, xlabel: "month", ylabel: cum ? "spend to date" : "spend in the month", xint: true,
    hline: onChart ? { y: budget, label: "budget" } : null,
    caption: budget && !cum && !onChart ? `budget ${short(budget)} a month (above the chart)` : null });
}

function drawScale() {
  const s = state.scale;
  if (!s || !s.workload) return;
  const clouds = [...new Set(s.points.map((p) => p.cloud))];
  const series = clouds.map((c) => ({ name: c, label: NAME(c), color: COLORS[c] || "#555",
    points: s.points.filter((p) => p.cloud === c).map((p) => [p.qps, p.contracted_monthly_cost, p.count ? `${p.count}x ${p.instance_type} ${(p.purchase_option || "").replaceAll("_", "-")}` : p.status]) }));
  $("chart-scale").dataset.qps = String(s.qps);
  lineChart($("chart-scale"), { series, xlog: true, xlabel: `mean QPS of ${s.workload} (log scale)`, ylabel: "cost of one month",
    xfmt: (v) => String(sig(v, 3)), marker: s.qps, markerLabel: `now ${sig(s.qps, 3)} QPS` });
}

document.addEventListener("DOMContentLoaded", start);
