// My submissions (submissions.html): a signed-in team's submissions.
teamSignIn(async (token, team) => {
  const card = document.getElementById("mine-card"), body = document.querySelector("#mine tbody");
  say("");
  if (!token) { card.hidden = true; return; }
  const r = await fetch("/api/submissions", {headers: bearer(token)});
  if (!r.ok) { card.hidden = true; say(await detailOf(r), "bad"); return; }
  const subs = await r.json();
  card.hidden = false;
  document.getElementById("mine-title").textContent = `${team ? team.name + ": " : ""}${subs.length} submission${subs.length === 1 ? "" : "s"}`;
  body.innerHTML = subs.map(s => {
    const sc = s.scores[s.split], hidden = s.results_hidden && s.status === "scored";
    const scoreCells = sc ? `<td>${fmt(sc.psnr, 2)}</td><td>${fmt(sc.ssim, 4)}</td>` :
      (hidden ? `<td colspan="2" class="text muted" title="the split is hidden until the organisers reveal it">hidden until revealed</td>` : `<td>-</td><td>-</td>`);
    const problems = s.errors.map(e => `<code>${esc(e.code)}</code> ${esc(e.message)}`).concat(s.warnings.map(w => `warning: ${esc(w)}`));
    const more = s.n_errors > s.errors.length ? `<br><a href="/submissions/${s.id}">all ${s.n_errors} problems</a>` : "";
    return `<tr><td data-v="${s.id}"><a href="/submissions/${s.id}">${s.id}</a></td><td class="text">${esc(s.track)} / ${esc(s.split)}</td><td class="text">${statusBadge(s.status)}</td>` +
      scoreCells + `<td class="text">${fmtDate(s.created_at)}</td><td class="text wrap">${problems.join("<br>") || '<span class="muted">none</span>'}${more}</td></tr>`;
  }).join("") || `<tr><td colspan="7" class="empty">No submissions yet. <a href="/submit">Submit one</a>.</td></tr>`;
});
