// The leaderboard page of a hidden split (leaderboard.html): an organiser loads its ranking with the token.
const BOARD_URL = document.currentScript.dataset.boardUrl;
document.getElementById("org-signin").addEventListener("submit", async ev => {
  ev.preventDefault();
  const token = document.getElementById("org-token").value.trim();
  const r = await fetch(BOARD_URL, {headers: bearer(token)});
  if (!r.ok) { say(await detailOf(r), "bad"); return; }
  document.getElementById("board-slot").innerHTML = await r.text();
});
