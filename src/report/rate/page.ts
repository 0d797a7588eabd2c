/**
 * The rating page, served as static text: HTML, CSS and plain browser JavaScript. It knows items only by
 * their opaque ids and fetches nothing but /api/state, /api/rate, /api/undo and /img/<id>/<which>.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portrait rating</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>Portrait rating</h1>
  <div class="progress"><progress id="bar" max="1" value="0"></progress> <span id="count">loading…</span></div>
</header>
<main id="main">
  <section class="images">
    <figure><img id="ref" alt="reference portrait"><figcaption>Reference</figcaption></figure>
    <figure><img id="gen" alt="generated portrait"><figcaption>Generated</figcaption></figure>
  </section>
  <p class="instruction">Instruction: <q id="instruction"></q></p>
  <section class="scores">
    <div class="score" id="dp-box">
      <h2>1. Detail preservation (DP)</h2>
      <p>Is it the same person with every detail kept: face, skin, hair, clothing colours and patterns,
      accessories? Changes of pose, framing or camera are expected and must not be penalised. A near-copy
      of the reference that ignores the instruction is not a success.</p>
      <div class="levels" data-kind="dp"></div>
    </div>
    <div class="score" id="pf-box">
      <h2>2. Prompt following (PF)</h2>
      <p>Does the generated portrait do what the instruction asks: body pose, arms, legs, head orientation,
      shot size, position in the frame? Do not judge identity or image quality here.</p>
      <div class="levels" data-kind="pf"></div>
    </div>
  </section>
  <p class="help">Keys: <kbd>0</kbd>–<kbd>4</kbd> rate DP, then PF (0 = fails completely, 4 = perfect).
  <kbd>Backspace</kbd> or <kbd>U</kbd>: undo. Each rating is saved as soon as PF is given.</p>
  <p id="status" role="status"></p>
</main>
<section id="done" hidden>
  <h2>All done, thank you.</h2>
  <p>Every sample is rated. You can still undo the last rating, or close this tab.</p>
</section>
<script src="/app.js" defer></script>
</body>
</html>
`;

export const PAGE_CSS = `:root { color-scheme: light; font-family: system-ui, sans-serif; }
body { margin: 0 auto; max-width: 1100px; padding: 12px 20px; background: #f4f4f2; color: #1c1c1c; }
header { display: flex; justify-content: space-between; align-items: center; gap: 16px; }
h1 { font-size: 1.3rem; margin: 4px 0; }
.progress { display: flex; align-items: center; gap: 8px; font-variant-numeric: tabular-nums; }
progress { width: 240px; height: 14px; }
.images { display: flex; gap: 24px; justify-content: center; }
figure { margin: 0; text-align: center; }
figure img { width: min(42vw, 420px); height: auto; aspect-ratio: 1; object-fit: contain; background: #ddd; border: 1px solid #bbb; }
img.pixelated { image-rendering: pixelated; }
figcaption { font-weight: 600; margin-top: 4px; }
.instruction { font-size: 1.15rem; text-align: center; margin: 14px 0; }
.instruction q { font-weight: 600; }
.scores { display: flex; gap: 16px; }
.score { flex: 1; background: #fff; border: 2px solid #ddd; border-radius: 8px; padding: 8px 14px; opacity: 0.55; }
.score.active { border-color: #2f6fdf; opacity: 1; }
.score.chosen { opacity: 1; }
.score h2 { font-size: 1rem; margin: 4px 0; }
.score p { font-size: 0.85rem; margin: 4px 0 8px; color: #444; }
.levels { display: flex; gap: 6px; }
.levels button { flex: 1; font-size: 1.1rem; padding: 6px 0; border: 1px solid #999; border-radius: 6px; background: #fafafa; cursor: pointer; }
.levels button.selected { background: #2f6fdf; color: #fff; border-color: #2f6fdf; }
.help { text-align: center; color: #555; font-size: 0.9rem; }
kbd { border: 1px solid #aaa; border-radius: 3px; padding: 0 4px; background: #fff; }
#status { text-align: center; color: #b00020; min-height: 1.2em; }
#done { text-align: center; margin-top: 60px; }
`;

export const PAGE_JS = `(function () {
  "use strict";
  var state = null;
  var pendingDp = null;
  var busy = false;
  var loaded = 0;
  var shownItem = null;
  function el(id) { return document.getElementById(id); }
  function setStatus(text) { el("status").textContent = text; }
  var levels = document.querySelectorAll(".levels");
  for (var i = 0; i < levels.length; i++) {
    for (var v = 0; v <= 4; v++) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = String(v);
      b.dataset.value = String(v);
      b.dataset.kind = levels[i].dataset.kind;
      b.addEventListener("click", onClick);
      levels[i].appendChild(b);
    }
  }
  function onClick(e) {
    var b = e.currentTarget;
    if (b.dataset.kind === "dp" && pendingDp === null) press(Number(b.dataset.value));
    else if (b.dataset.kind === "pf" && pendingDp !== null) press(Number(b.dataset.value));
    b.blur();
  }
  function onImage() {
    loaded++;
    if (loaded >= 2) document.body.dataset.ready = "1";
  }
  ["ref", "gen"].forEach(function (id) {
    var img = el(id);
    img.addEventListener("load", function () {
      img.classList.toggle("pixelated", img.naturalWidth < 256);
      onImage();
    });
    img.addEventListener("error", function () { setStatus("An image failed to load; reload the page."); });
  });
  function render() {
    var done = state.done, total = state.total;
    el("bar").max = total;
    el("bar").value = done;
    el("count").textContent = done + " / " + total + " rated";
    el("done").hidden = state.item !== null;
    el("main").hidden = state.item === null;
    document.body.dataset.item = state.item ? state.item.id : "";
    if (state.item && shownItem !== state.item.id) {
      shownItem = state.item.id;
      loaded = 0;
      document.body.dataset.ready = "0";
      el("instruction").textContent = state.item.instruction;
      el("ref").src = state.item.reference;
      el("gen").src = state.item.generated;
    }
    if (!state.item) shownItem = null;
    el("dp-box").classList.toggle("active", pendingDp === null);
    el("dp-box").classList.toggle("chosen", pendingDp !== null);
    el("pf-box").classList.toggle("active", pendingDp !== null);
    var buttons = document.querySelectorAll(".levels button");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      b.classList.toggle("selected", b.dataset.kind === "dp" && Number(b.dataset.value) === pendingDp);
    }
  }
  function accept(s) {
    state = s;
    pendingDp = null;
    setStatus("");
    render();
  }
  function load() {
    return fetch("/api/state", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(accept)
      .catch(function () { setStatus("The rating server does not answer; is it still running?"); });
  }
  function post(path, body) {
    busy = true;
    return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) {
        return r.json().then(function (j) {
          busy = false;
          if (r.ok) { accept(j); return; }
          setStatus(j.error || ("error " + r.status));
          if (r.status === 409) load();
        });
      })
      .catch(function () { busy = false; setStatus("Not saved: the rating server does not answer."); });
  }
  function press(v) {
    if (!state || !state.item || busy || document.body.dataset.ready !== "1") return;
    if (pendingDp === null) { pendingDp = v; render(); return; }
    post("/api/rate", { item: state.item.id, dp: pendingDp, pf: v });
  }
  function undo() {
    if (!state || busy) return;
    if (pendingDp !== null) { pendingDp = null; render(); return; }
    if (state.undo) post("/api/undo", { item: state.undo });
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    if (e.key.length === 1 && e.key >= "0" && e.key <= "4") { e.preventDefault(); press(Number(e.key)); }
    else if (e.key === "Backspace" || e.key === "u" || e.key === "U") { e.preventDefault(); undo(); }
  });
  load();
})();
`;
