// The organiser page (organiser.html): queue, workers, submissions, teams, splits and exports, all
// from the organiser API with the token typed into the page.
let orgToken = "", timer = null;  // page memory only: never stored, never sent by another page
const auth = () => bearer(orgToken);
const ago = s => s === null || s === undefined ? "-" : s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`;
const about = j => [j.method, j.track ? `${j.track}/${j.split}` : null, j.team].filter(Boolean).map(esc).join(" &middot; ") || "-";
function jobRow(j) {
  return `<tr class="job-${esc(j.state)}"><td>${j.id}</td><td class="text">${statusBadge(j.state)}</td><td class="text">${esc(j.kind)}</td><td class="text">${about(j)}</td>` +
    `<td>${j.submission_id ? `<a href="/submissions/${j.submission_id}">${j.submission_id}</a>` : "-"}</td><td class="text">${esc(j.queue)}</td>` +
    `<td>${j.attempts}/${j.max_attempts}</td><td class="text">${esc(j.worker || "-")}</td>` +
    `<td>${ago(j.age_s)} / ${j.heartbeat_s_ago === null ? "-" : ago(j.heartbeat_s_ago) + " ago"}</td><td class="text wrap">${esc(j.last_error || "")}</td></tr>`;
}
function stat(value, label, cls) { return `<div class="stat"><b class="${cls || ""}">${value}</b><span>${label}</span></div>`; }
async function refresh() {
  const q = await fetch("/api/organiser/queue", {headers: auth()});
  if (!q.ok) { say(await detailOf(q), "bad"); document.getElementById("panel").hidden = true; document.getElementById("live-box").hidden = true; stopLive(); return false; }
  document.getElementById("panel").hidden = false;
  document.getElementById("live-box").hidden = false;
  const qs = await q.json();
  const alive = qs.workers.filter(w => w.alive).length, waiting = qs.counts.received + qs.counts.validating + qs.counts.queued + qs.counts.scoring;
  document.getElementById("queue").innerHTML =
    stat(waiting, "submissions waiting", "count-waiting") + stat(qs.oldest_waiting_s === null ? "-" : ago(qs.oldest_waiting_s), "oldest wait (since its last change)") +
    stat(qs.counts.scored, "scored", "count-scored") + stat(qs.counts.failed, "failed", "count-failed") +
    Object.entries(qs.jobs).map(([k, v]) => stat(v, `jobs ${esc(k)}`, `jobs-${esc(k)}`)).join("") +
    stat(alive ? `${alive} worker${alive === 1 ? "" : "s"} alive` : "no worker alive", alive ? Object.entries(qs.queued_by_queue).map(([k, v]) => `${esc(k)}: ${v} queued`).join(", ") || "nothing queued" : "jobs wait until one starts", alive ? "" : "bad");
  document.querySelector("#jobs tbody").innerHTML = qs.queued.concat(qs.running, qs.failed_recent).map(jobRow).join("") ||
    `<tr><td colspan="10" class="empty">No queued, running or failed job.</td></tr>`;
  renderModelQueue(qs, "#model-queue tbody");
  document.querySelector("#workers tbody").innerHTML = qs.workers.map(w =>
    `<tr class="${w.alive ? "alive" : "dead"}"><td class="text">${esc(w.name)}</td><td class="text">${esc(w.queues)}</td><td class="text">${esc(w.device)}</td>` +
    `<td class="text">${ago(w.seen_s_ago)} ago ${w.alive ? statusBadge("alive") : '<span class="badge bad">lost</span>'}</td><td>${w.jobs_done}</td></tr>`).join("") ||
    `<tr><td colspan="5" class="empty">No worker has reported.</td></tr>`;
  const subs = await (await fetch("/api/submissions", {headers: auth()})).json();
  document.querySelector("#all tbody").innerHTML = subs.map(s => {
    const sc = s.scores[s.split];
    return `<tr><td data-v="${s.id}"><a href="/submissions/${s.id}">${s.id}</a></td><td class="text">${esc(s.team)}</td><td class="text">${esc(s.track)} / ${esc(s.split)}</td>` +
      `<td class="text">${statusBadge(s.status)}</td><td>${sc ? fmt(sc.psnr, 2) : "-"}</td><td>${sc ? fmt(sc.ssim, 4) : "-"}</td>` +
      `<td class="text">${fmtDate(s.created_at)}</td><td><button class="rescore small secondary" data-id="${s.id}">re-score</button></td></tr>`;
  }).join("") || `<tr><td colspan="8" class="empty">No submissions yet.</td></tr>`;
  const teams = await (await fetch("/api/organiser/teams", {headers: auth()})).json();
  document.querySelector("#teams tbody").innerHTML = teams.map(t =>
    `<tr data-team-id="${t.id}"><td>${t.id}</td><td class="text">${esc(t.name)}</td><td class="text">${fmtDate(t.created_at)}</td>` +
    `<td class="text">${t.approved ? '<span class="badge ok">approved</span>' : '<span class="badge warn">waiting</span>'}</td>` +
    `<td><button class="approve small ${t.approved ? "danger" : ""}" data-id="${t.id}" data-approved="${!t.approved}">${t.approved ? "withdraw" : "approve"}</button></td></tr>`).join("") ||
    `<tr><td colspan="5" class="empty">No team has registered.</td></tr>`;
  document.getElementById("live-state").textContent = "updated " + new Date().toLocaleTimeString();
  return true;
}
async function loadSplits() {
  const r = await fetch("/api/organiser/splits", {headers: auth()});
  if (!r.ok) return;
  for (const s of await r.json()) {
    const row = document.querySelector(`#splits tr[data-track="${s.track}"][data-split="${s.split}"]`);
    if (!row) continue;
    row.querySelector(".rule").value = s.rank_by;
    const hidden = s.visibility === "hidden";
    row.querySelector(".state").innerHTML = !hidden ? statusBadge("public") : s.revealed ? statusBadge("revealed") : '<span class="badge hidden">hidden</span>';
    if (hidden) row.querySelector(".act").innerHTML = s.revealed ? `<button class="hide small secondary">hide again (undo)</button>` : `<button class="reveal small">reveal</button>`;
  }
}
function stopLive() { clearInterval(timer); timer = null; document.getElementById("live-state").classList.remove("on"); }
function startLive() { stopLive(); if (!document.getElementById("live").checked) return; timer = setInterval(refresh, 5000); document.getElementById("live-state").classList.add("on"); }
document.getElementById("live").addEventListener("change", startLive);
document.getElementById("org-signin").addEventListener("submit", async ev => {
  ev.preventDefault();
  orgToken = document.getElementById("token").value.trim();
  say("");
  if (await refresh()) { await loadSplits(); startLive(); }
});
document.addEventListener("click", async ev => {
  const el = ev.target.closest("button, a.export");
  if (!el) return;
  const row = el.closest("tr");
  if (el.classList.contains("rescore")) {
    const r = await fetch(`/api/submissions/${el.dataset.id}/rescore`, {method: "POST", headers: auth()});
    say(r.ok ? `submission ${el.dataset.id} queued for re-scoring` : await detailOf(r), r.ok ? "ok" : "bad"); refresh();
  } else if (el.classList.contains("reveal") || el.classList.contains("hide")) {
    const reveal = el.classList.contains("reveal"), where = `${row.dataset.track}/${row.dataset.split}`;
    if (reveal && !confirm(`Reveal ${where}? Everyone will see its scores, ranks and per-image results. (You can hide it again.)`)) return;
    const r = await fetch(`/api/splits/${where}/${reveal ? "reveal" : "hide"}`, {method: "POST", headers: auth()});
    say(r.ok ? `${where} ${reveal ? "revealed: its leaderboard is public now" : "hidden again: organisers only"}` : await detailOf(r), r.ok ? "ok" : "bad");
    loadSplits();
  } else if (el.classList.contains("approve")) {
    const r = await fetch(`/api/organiser/teams/${el.dataset.id}/approval?approved=${el.dataset.approved}`, {method: "POST", headers: auth()});
    say(r.ok ? `team ${el.dataset.id} ${el.dataset.approved === "true" ? "approved" : "no longer approved"}` : await detailOf(r), r.ok ? "ok" : "bad"); refresh();
  } else if (el.classList.contains("export")) {
    ev.preventDefault();
    const split = el.closest(".form-row").querySelector(".export-split").value;
    try { say(`downloaded ${await download(`/api/organiser/export/${el.dataset.track}?format=${el.dataset.format}&split=${split}`, auth())}`, "ok"); }
    catch (e) { say(e.message, "bad"); }
  }
});
document.addEventListener("change", async ev => {
  if (!ev.target.classList.contains("rule")) return;
  const row = ev.target.closest("tr");
  const r = await fetch(`/api/splits/${row.dataset.track}/${row.dataset.split}/ranking?rule=${ev.target.value}`, {method: "POST", headers: auth()});
  say(r.ok ? `${row.dataset.track}/${row.dataset.split}: ranking by the ${ev.target.value} submission per team` : await detailOf(r), r.ok ? "ok" : "bad");
});
