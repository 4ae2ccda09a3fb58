// Helpers shared by the leaderboard pages (served as /static/harness.js, loaded in base.html's <head>,
// so each page's own script can call them). One definition each; pages keep their own logic.

// HTML-escape a value before it goes into innerHTML.
function esc(s) { return String(s).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c])); }

// Show a line in the page's #message element.
function say(t) { document.getElementById("message").textContent = t; }

// The token the pages remember between visits (team or organiser: one browser slot).
function storedToken() { return localStorage.getItem("harness-token") || ""; }
function storeToken(token) { localStorage.setItem("harness-token", token); }

// The Authorization header of a bearer token.
function bearer(token) { return {"Authorization": "Bearer " + token}; }

// Click a header to sort its table (numbers numerically).
// Only the last header row sorts (a group row above it has spanning cells); cellIndex is the column.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.sortable thead tr:last-child th").forEach(th => th.addEventListener("click", () => {
    const i = th.cellIndex;
    const body = th.closest("table").tBodies[0];
    const rows = [...body.rows];
    const dir = th.dataset.dir === "asc" ? -1 : 1;
    th.dataset.dir = dir === 1 ? "asc" : "desc";
    rows.sort((a, b) => {
      const x = a.cells[i].dataset.v ?? a.cells[i].textContent, y = b.cells[i].dataset.v ?? b.cells[i].textContent;
      const nx = parseFloat(x), ny = parseFloat(y);
      return dir * ((isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny);
    });
    rows.forEach(r => body.appendChild(r));
  }));
});
