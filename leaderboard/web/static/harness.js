// Helpers shared by the pages (served as /static/harness.js, loaded in base.html's <head>, so each
// page's own script can call them). One definition each; pages keep their own logic.
//
// Tokens. The organiser token is never stored by the browser: pages keep it in a password input
// (page memory) and send it only from the page it was typed into. A team token is kept in page
// memory too, and in localStorage only when the person ticks "remember on this browser".

const TEAM_KEY = "harness-team-token";
try { localStorage.removeItem("harness-token"); } catch (e) { /* an older version kept any token here: forget it */ }

// HTML-escape a value before it goes into innerHTML.
function esc(s) { return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); }

// Show a line in the page's #message element (kind: "", "ok", "warn", "bad").
function say(t, kind) {
  const el = document.getElementById("message");
  if (!el) return;
  el.textContent = t || "";
  el.className = "message" + (t ? " notice " + (kind || "") : "");
}

// The Authorization header of a bearer token (none for an empty one).
function bearer(token) { return token ? {"Authorization": "Bearer " + token} : {}; }

// The remembered team token ("" when none).
function rememberedTeamToken() { try { return localStorage.getItem(TEAM_KEY) || ""; } catch (e) { return ""; } }
function rememberTeamToken(token) { try { localStorage.setItem(TEAM_KEY, token); } catch (e) { /* private mode */ } }
function forgetTeamToken() { try { localStorage.removeItem(TEAM_KEY); } catch (e) { /* private mode */ } }

// The "detail" of an error answer, as one line.
async function detailOf(r) {
  try { const d = (await r.json()).detail; return typeof d === "string" ? d : JSON.stringify(d); }
  catch (e) { return `${r.status} ${r.statusText}`; }
}

// Numbers as the pages show them.
function fmt(x, digits) { return x === null || x === undefined || Number.isNaN(x) ? "-" : Number(x).toFixed(digits); }
function fmtDate(iso) { return iso ? String(iso).slice(0, 16).replace("T", " ") : "-"; }
function statusBadge(s) { return `<span class="badge status ${esc(s)}">${esc(s)}</span>`; }

// Fetch a file with headers and hand it to the browser as a download (name from Content-Disposition).
async function download(url, headers) {
  const r = await fetch(url, {headers});
  if (!r.ok) throw new Error(await detailOf(r));
  const m = /filename="?([^";]+)"?/.exec(r.headers.get("Content-Disposition") || "");
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await r.blob());
  a.download = m ? m[1] : url.split("/").pop().split("?")[0];
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  return a.download;
}

// A team sign-in box (macros.html team_signin): calls onToken(token, team) with the token to use, at
// load when one is remembered and on every sign-in; "sign out" forgets it. A token is remembered
// only when "remember" is ticked and it is a team's (an organiser token is never stored).
function teamSignIn(onToken) {
  const form = document.getElementById("signin"), box = document.getElementById("token");
  const remember = document.getElementById("remember"), out = document.getElementById("signout");
  async function use(token) {
    const r = await fetch("/api/teams/me", {headers: bearer(token)});
    const team = r.ok ? await r.json() : null;
    if (team && remember.checked) rememberTeamToken(token); else forgetTeamToken();
    if (!team) remember.checked = false;
    out.hidden = !token;
    onToken(token, team);
  }
  const remembered = rememberedTeamToken();
  if (remembered) { box.value = remembered; remember.checked = true; }
  form.addEventListener("submit", ev => { ev.preventDefault(); const t = box.value.trim(); if (t) use(t); });
  out.addEventListener("click", () => { forgetTeamToken(); box.value = ""; remember.checked = false; out.hidden = true; onToken("", null); });
  if (remembered) use(remembered);
  return use;
}

// Click a header to sort its table (numbers numerically, by data-v when a cell has one).
// Only the last header row sorts (a group row above it has spanning cells); cellIndex is the column.
// Delegated, so tables put into the page later sort too.
document.addEventListener("click", ev => {
  const th = ev.target.closest("table.sortable thead tr:last-child th");
  if (!th) return;
  const i = th.cellIndex, body = th.closest("table").tBodies[0];
  const rows = [...body.rows].filter(r => r.cells.length > i);
  const dir = th.dataset.dir === "desc" ? 1 : (th.dataset.dir === "asc" ? -1 : 1);
  th.closest("tr").querySelectorAll("th").forEach(h => { if (h !== th) delete h.dataset.dir; });
  th.dataset.dir = dir === 1 ? "asc" : "desc";
  rows.sort((a, b) => {
    const x = a.cells[i].dataset.v ?? a.cells[i].textContent.trim(), y = b.cells[i].dataset.v ?? b.cells[i].textContent.trim();
    const nx = parseFloat(x), ny = parseFloat(y);
    return dir * ((isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny);
  });
  rows.forEach(r => body.appendChild(r));
});

// Region-metric columns of leaderboard tables: shown while a [data-regions] checkbox is ticked.
document.addEventListener("change", ev => {
  const box = ev.target.closest("input[data-regions]");
  if (box) document.querySelectorAll(box.dataset.regions).forEach(t => t.classList.toggle("regions", box.checked));
});

// Mark the rows of the signed-in team (a remembered team token) in tables with tr[data-team].
async function markOwnTeam() {
  const token = rememberedTeamToken();
  if (!token || !document.querySelector("tr[data-team]")) return;
  const r = await fetch("/api/teams/me", {headers: bearer(token)});
  if (!r.ok) return;
  const me = await r.json();
  document.querySelectorAll("tr[data-team]").forEach(tr => {
    if (tr.dataset.team !== me.name) return;
    tr.classList.add("own");
    const cell = tr.querySelector("td.team");
    if (cell && !cell.querySelector(".badge.own")) cell.insertAdjacentHTML("beforeend", ' <span class="badge own">you</span>');
  });
}
document.addEventListener("DOMContentLoaded", markOwnTeam);

// "measured only": hide the rows whose figures the harness did not measure itself
document.addEventListener("change", (e) => {
  const box = e.target;
  if (!box || box.id !== "measured-only") return;
  document.querySelectorAll(box.dataset.table || "#board").forEach(t => t.classList.toggle("measured-only", box.checked));
});

// The organiser page's "Model runs per team" table, from /api/organiser/queue's model_queues: each
// team's run whose turn it is (running, or queued at the broker), then its waiting runs in order.
function renderModelQueue(qs, selector) {
  const body = document.querySelector(selector);
  if (!body) return;
  const secs = s => s === null || s === undefined ? "-" : s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`;
  const rows = [];
  for (const t of qs.model_queues || []) {
    t.jobs.forEach((j, i) => rows.push(
      `<tr class="job-${esc(j.state)}" data-team-id="${t.team_id}"><td class="text">${i ? "" : esc(t.team)}</td><td>${i + 1}</td><td>${j.job_id}</td>` +
      `<td class="text">${statusBadge(j.state)}</td><td>${j.submission_id ? `<a href="/submissions/${j.submission_id}">${j.submission_id}</a>` : "-"}</td>` +
      `<td class="text">${j.track ? `${esc(j.track)} / ${esc(j.split)}` : "-"}</td><td>${secs(j.waiting_s)}</td><td>${secs(j.running_s)}</td></tr>`));
  }
  body.innerHTML = rows.join("") || `<tr><td colspan="8" class="empty">No model run queued, running or waiting.</td></tr>`;
}
