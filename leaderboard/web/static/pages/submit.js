// The Submit page (submit.html): registration, the upload form and the result of the upload.
const SPLITS = JSON.parse(document.getElementById("splits-data").textContent);
const result = document.getElementById("result"), form = document.getElementById("submit-form");
const tokenBox = document.getElementById("token"), remember = document.getElementById("remember");
const trackBox = document.getElementById("track"), splitBox = document.getElementById("split");
function show(html, kind) { result.innerHTML = html; result.className = html ? "notice " + (kind || "") : ""; }
function fillSplits() {
  splitBox.innerHTML = SPLITS[trackBox.value].map(s =>
    `<option value="${esc(s.name)}">${esc(s.name)}${s.hidden ? " (hidden: results after the reveal)" : ""}</option>`).join("");
}
trackBox.addEventListener("change", fillSplits);
fillSplits();
const remembered = rememberedTeamToken();
if (remembered) { tokenBox.value = remembered; remember.checked = true; }
remember.addEventListener("change", () => { if (!remember.checked) forgetTeamToken(); });

document.getElementById("register-form")?.addEventListener("submit", async ev => {
  ev.preventDefault();
  const name = document.getElementById("team-name").value.trim();
  const r = await fetch("/api/teams", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({name})});
  if (!r.ok) { show(`Registration refused: ${esc(await detailOf(r))}`, "bad"); return; }
  const doc = await r.json();
  tokenBox.value = doc.token;
  show(`Team <b>${esc(doc.name)}</b> registered. Its token is now in the token field (hidden): ` +
    `<button type="button" class="small secondary" id="copy-token">copy it</button> and keep it safe, it is shown only this once.` +
    (doc.approved ? "" : " The organisers approve new teams: you can submit once they have."), "ok");
  document.getElementById("copy-token").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(doc.token); say_copy("copied"); } catch (e) { say_copy("copy refused by the browser: tick 'remember' instead"); }
  });
});
function say_copy(t) { const b = document.getElementById("copy-token"); if (b) b.textContent = t; }

form.addEventListener("submit", async ev => {
  ev.preventDefault();
  const f = ev.target, data = new FormData();
  for (const k of ["track", "split", "params_m", "device", "description", "input_size", "epochs", "gpu"]) if (f[k].value !== "") data.append(k, f[k].value);
  if (f.runtime_ms.value !== "") data.append("runtime_s", String(Number(f.runtime_ms.value) / 1000));
  for (const k of ["extra_data", "ensemble", "full_resolution"]) data.append(k, f[k].checked ? "true" : "false");
  data.append("file", f.file.files[0]);
  const token = tokenBox.value.trim(), headers = bearer(token);
  document.getElementById("send").disabled = true;
  show("Uploading...");
  try {
    const r = await fetch("/api/submissions", {method: "POST", headers, body: data});
    if (!r.ok) { show(`Refused (${r.status}): ${esc(await detailOf(r))}`, "bad"); return; }
    if (remember.checked) rememberTeamToken(token);
    const acc = await r.json();
    const link = `<a class="to-submission" href="/submissions/${acc.id}">submission ${acc.id}</a>`;
    let doc = acc;
    while (!["scored", "failed"].includes(doc.status)) {
      show(`${link}: ${statusBadge(doc.status)} (validation and scoring run in the background)`);
      await new Promise(res => setTimeout(res, 400));
      doc = await (await fetch(`/api/submissions/${acc.id}`, {headers})).json();
    }
    const board = `<a class="to-leaderboard" href="/leaderboard/${esc(doc.track)}?split=${esc(doc.split)}">${esc(doc.track)} leaderboard</a>`;
    const warn = doc.warnings.length ? `<ul>${doc.warnings.map(w => `<li>warning: ${esc(w)}</li>`).join("")}</ul>` : "";
    if (doc.status === "scored" && doc.results_hidden) {
      show(`${link}: ${statusBadge("scored")}. <b>${esc(doc.split)} is hidden:</b> the result stays with the organisers until they reveal it. ` +
        `Follow it on ${link.replace(`>submission ${acc.id}<`, ">its page<")}.${warn}`, "warn");
    } else if (doc.status === "scored") {
      const s = Object.entries(doc.scores).map(([k, v]) => `${esc(k)}: PSNR <b>${fmt(v.psnr, 2)}</b> dB, SSIM <b>${fmt(v.ssim, 4)}</b>`).join("; ");
      show(`${link}: ${statusBadge("scored")}. ${s}. See it on the ${board} or its ${link.replace(`>submission ${acc.id}<`, ">own page<")}.${warn}`, "ok");
    } else {
      show(`${link}: ${statusBadge("failed")} (${doc.n_errors} problem${doc.n_errors === 1 ? "" : "s"}; failed uploads do not count against the daily limit)<ul>` +
        doc.errors.map(e => `<li><code>${esc(e.code)}</code> ${esc(e.message)}</li>`).join("") + `</ul>${warn}`, "bad");
    }
  } finally { document.getElementById("send").disabled = false; }
});
