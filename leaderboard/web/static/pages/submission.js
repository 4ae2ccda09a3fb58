// One submission's page (submission.html): status, fact sheet, problems and per-image scores.
const ID = Number(document.currentScript.dataset.id);
const yes = v => v ? "yes" : "no";
function facts(s) {
  const rows = [["Extra data (ED)", yes(s.extra_data)], ["Ensemble / TTA (ENS)", yes(s.ensemble)], ["Full resolution (FR)", yes(s.full_resolution)],
    ["Parameters", s.params_m === null ? "-" : `${s.params_m} M`], ["Runtime per image", s.runtime_s === null ? "-" : `${fmt(s.runtime_s * 1000, 1)} ms`],
    ["Device", s.device || "-"], ["Input size", s.input_size || "-"], ["Epochs", s.epochs ?? "-"], ["Hardware", s.gpu || "-"],
    ["Description", s.description || "-"]];
  return rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("");
}
async function show(token, team) {
  const summary = document.getElementById("summary");
  say(""); summary.innerHTML = "";
  for (const id of ["details", "images-card"]) document.getElementById(id).hidden = true;
  document.getElementById("signin-card").hidden = false;
  if (!token) return;
  const headers = bearer(token);
  const r = await fetch(`/api/submissions/${ID}`, {headers});
  if (r.status === 404) { say(`Submission ${ID} is not one of ${team ? "team " + team.name + "'s" : "this token's"} submissions (or does not exist). Sign in with the token of the team that made it.`, "bad"); return; }
  if (!r.ok) { say(await detailOf(r), "bad"); return; }
  const s = await r.json(), sc = s.scores[s.split];
  document.getElementById("signin-card").hidden = true;
  document.getElementById("subtitle").innerHTML = `${esc(s.team)} &middot; ${esc(s.track)} / ${esc(s.split)} &middot; ${fmtDate(s.created_at)} UTC &middot; <a href="#" id="switch">${team ? "sign out" : "other token"}</a>`;
  document.getElementById("switch").addEventListener("click", ev => { ev.preventDefault(); if (team) document.getElementById("signout").click(); else show("", null); });
  let head = `<p style="margin:0">${statusBadge(s.status)} `;
  if (sc) head += `PSNR <b>${fmt(sc.psnr, 4)}</b> dB, SSIM <b>${fmt(sc.ssim, 6)}</b> over ${sc.n_images} images. <a href="/leaderboard/${esc(s.track)}?split=${esc(s.split)}">Leaderboard</a>` +
    (sc.lpips != null ? `<br><span id="lpips-summary">LPIPS <b>${fmt(sc.lpips, 4)}</b> (lower is better, never ranked).</span>` : sc.lpips_note ? `<br><span class="muted" id="lpips-summary">${esc(sc.lpips_note)}.</span>` : "") +
    (sc.aligned_psnr_diagnostic == null ? "" : `<br><span class="muted" id="aligned-summary">Aligned (diagnostic, never ranked): PSNR ${fmt(sc.aligned_psnr_diagnostic, 4)} dB, SSIM ${fmt(sc.aligned_ssim_diagnostic, 6)} over ${sc.aligned_n_images} images, central crop ${sc.aligned_crop} px per side${sc.aligned_excluded.length ? `; left out: ${sc.aligned_excluded.map(esc).join(", ")}` : ""}.</span>`);
  else if (s.results_hidden) head += `<b>${esc(s.split)} is hidden until the organisers reveal this split</b>: ${s.status === "scored" ? "the submission is scored and its result kept for then" : "its result will be kept for then"}.`;
  else if (s.status === "failed") head += `nothing was scored: ${s.n_errors} problem${s.n_errors === 1 ? "" : "s"} below (failed uploads do not count against the daily limit).`;
  else head += "validation and scoring run in the background; this page refreshes until they end.";
  summary.innerHTML = `<div class="notice ${sc ? "ok" : (s.results_hidden ? "warn" : (s.status === "failed" ? "bad" : ""))}">${head}</p></div>`;
  document.getElementById("facts").innerHTML = facts(s);
  const errs = s.errors.map(e => `<li><code>${esc(e.code)}</code> ${esc(e.message)}</li>`).join("");
  const more = s.n_errors > s.errors.length ? `<li class="muted">and ${s.n_errors - s.errors.length} more</li>` : "";
  const warns = s.warnings.map(w => `<li>${esc(w)}</li>`).join("");
  document.getElementById("checks").innerHTML =
    (errs ? `<h3>Errors (${s.n_errors})</h3><ul class="plain" id="errors">${errs}${more}</ul>` : `<p><span class="badge ok">no errors</span></p>`) +
    (warns ? `<h3>Warnings</h3><ul class="plain" id="warnings">${warns}</ul>` : `<p><span class="badge ok">no warnings</span></p>`);
  document.getElementById("details").hidden = false;
  if (["received", "validating", "queued", "scoring"].includes(s.status)) { setTimeout(() => show(token, team), 1500); return; }
  if (!sc) return;
  const im = await fetch(`/api/submissions/${ID}/images`, {headers});
  if (!im.ok) return;
  const f = (v, d) => v === null || v === undefined ? '<span class="num-dim">-</span>' : fmt(v, d);
  document.querySelector("#images tbody").innerHTML = (await im.json()).map(i =>
    `<tr><td class="text">${esc(i.name)}</td><td data-v="${i.psnr}">${fmt(i.psnr, 4)}</td><td data-v="${i.ssim}">${fmt(i.ssim, 6)}</td>` +
    `<td class="diag" data-v="${i.aligned_psnr_diagnostic ?? -1}">${f(i.aligned_psnr_diagnostic, 2)}</td><td class="diag" data-v="${i.aligned_ssim_diagnostic ?? -1}">${f(i.aligned_ssim_diagnostic, 4)}</td>` +
    `<td class="diag" data-v="${i.shift ? Math.hypot(i.shift[0], i.shift[1]) : -1}">${i.shift ? `${fmt(i.shift[0], 2)}, ${fmt(i.shift[1], 2)}` : '<span class="num-dim">-</span>'}</td><td class="diag" data-v="${i.scale ?? -1}">${f(i.scale, 4)}</td>` +
    `<td data-v="${i.oe_fraction ?? -1}">${i.oe_fraction === null ? '<span class="num-dim">-</span>' : fmt(100 * i.oe_fraction, 1) + "%"}</td>` +
    `<td data-v="${i.psnr_oe ?? -1}">${f(i.psnr_oe, 2)}</td><td data-v="${i.ssim_oe ?? -1}">${f(i.ssim_oe, 4)}</td>` +
    `<td data-v="${i.psnr_rest ?? -1}">${f(i.psnr_rest, 2)}</td><td data-v="${i.ssim_rest ?? -1}">${f(i.ssim_rest, 4)}</td></tr>`).join("");
  document.getElementById("images-card").hidden = false;
}
teamSignIn(show);
