// The Analysis page (analysis.html): significance table, plots and visual comparisons of one track.
const TRACK = document.currentScript.dataset.track;
const base = `/api/analysis/${encodeURIComponent(TRACK)}`;
const KINDS = ["distribution", "vs-params", "vs-runtime"];
const EMPTY = {
  "distribution": s => `No scored entry on ${s} yet.`,
  "vs-params": s => `No entry on ${s} has a parameter count yet: baselines get one when the harness re-runs them, teams when their fact sheet gives it.`,
  "vs-runtime": s => `No entry on ${s} has a runtime yet: baselines get one when the harness re-runs them, teams when their fact sheet gives it.`,
};
let orgToken = "";  // page memory only
const auth = () => bearer(orgToken);
const splitBox = document.getElementById("split"), metricBox = document.getElementById("metric");
const split = () => splitBox.value, metric = () => metricBox.value;
const primaryOf = () => splitBox.selectedOptions[0].dataset.primary;
metricBox.value = primaryOf();

async function image(el, url) {
  const r = await fetch(url, {headers: auth()});
  if (!r.ok) { say(await detailOf(r), "bad"); return null; }
  const old = el.src; el.src = URL.createObjectURL(await r.blob()); if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  return r;
}
async function plot(kind) {
  const fig = document.getElementById("fig-" + kind), img = document.getElementById("plot-" + kind);
  fig.querySelector(".empty-plot")?.remove();
  const r = await image(img, `${base}/plot/${metric()}-${kind}.png?split=${split()}`);
  const empty = r && r.headers.get("X-Plot-Points") === "0";
  img.hidden = !r || empty;
  if (r && !empty && kind !== "distribution") { await img.decode().catch(() => {}); fig.closest(".card").classList.toggle("wide", img.naturalWidth > 1000); }
  if (empty) img.insertAdjacentHTML("afterend", `<div class="empty-plot">${esc(EMPTY[kind](split()))}</div>`);
}
async function load() {
  say("");
  const board = await fetch(`/api/leaderboard/${encodeURIComponent(TRACK)}?split=${split()}`, {headers: auth()});
  const body = document.querySelector("#significance tbody");
  if (!board.ok) { say(await detailOf(board), "warn"); body.innerHTML = ""; return; }
  const rows = await board.json(), p = primaryOf(), digits = p === "ssim" ? 4 : 2;
  document.getElementById("sig-mean").textContent = `mean ${p.toUpperCase()}`;
  body.innerHTML = rows.map(r => {
    const s = r.significance, untrained = r.baseline && r.baseline.untrained;
    const label = r.baseline ? `${esc(r.baseline.method)} <span class="badge">baseline</span>` +
      (untrained ? ` <span class="badge warn" title="${esc(r.baseline.weights_label)}: not the method's score, left out of the groups and the plots">untrained</span>` : "") : esc(r.team);
    return `<tr data-team="${esc(r.team)}" class="${r.baseline ? "baseline" : ""}${untrained ? " untrained" : ""}"><td class="rank">${r.rank ?? "-"}</td><td class="team">${label}</td><td class="primary${untrained ? " num-dim" : ""}">${fmt(r[p], digits)}</td>` +
      `<td>${s ? fmt(s.ci_low, digits) + "&ndash;" + fmt(s.ci_high, digits) : "-"}</td>` +
      `<td>${s && s.p_order !== null ? fmt(s.p_order, 3) : "-"}</td><td class="sig-group g${s ? s.group % 2 : 0}">${s ? s.group : "-"}</td></tr>`;
  }).join("") || `<tr><td colspan="6" class="empty">No scored entry on ${esc(split())} yet.</td></tr>`;
  markOwnTeam();
  for (const kind of KINDS) await plot(kind);
  const info = await (await fetch(`${base}/images?split=${split()}`, {headers: auth()})).json();
  document.getElementById("image").innerHTML = info.images.map(n => `<option>${esc(n)}</option>`).join("");
  document.getElementById("entries").innerHTML = info.entries.map((e, i) =>
    `<label class="check"><input type="checkbox" class="entry" value="${e.submission_id}" ${i < 4 ? "checked" : ""}>${esc(e.label)}</label>`).join("") || `<span class="muted">no entries</span>`;
}
document.getElementById("org-signin").addEventListener("submit", ev => { ev.preventDefault(); orgToken = document.getElementById("token").value.trim(); load(); });
splitBox.addEventListener("change", () => { metricBox.value = primaryOf(); load(); });
metricBox.addEventListener("change", async () => { for (const kind of KINDS) await plot(kind); });
document.getElementById("compare").addEventListener("click", async () => {
  const ids = [...document.querySelectorAll(".entry:checked")].map(c => c.value).join(",");
  const img = encodeURIComponent(document.getElementById("image").value);
  say("drawing the comparison...");
  if (await image(document.getElementById("comparison"), `${base}/compare.png?split=${split()}&image=${img}&entries=${ids}`)) say("comparison ready", "ok");
});
document.addEventListener("click", async ev => {
  if (!ev.target.classList.contains("svg")) return;
  ev.preventDefault();
  try { await download(`${base}/plot/${metric()}-${ev.target.dataset.kind}.svg?split=${split()}`, auth()); }
  catch (e) { say(e.message, "bad"); }
});
load();
