/* mscreport's offline search (mscreport.pipeline.search_index): the box above the page loads
   search_index.js beside index.html on first use (a script, as a page opened from disk may
   load one, not read a JSON file) and lists the sections that hold every word typed. No library,
   nothing from the network. */
(function () {
  "use strict";
  var box = document.querySelector(".msc-search");
  if (!box) { return; }
  var input = box.querySelector("input"), list = box.querySelector("ol");
  var root = box.getAttribute("data-root") || "";
  var state = "idle", waiting = [];
  function fold(t) { return (t || "").toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/\u2212/g, "-"); }
  function load(done) {
    if (window.mscSearchIndex) { done(); return; }
    waiting.push(done);
    if (state !== "idle") { return; }
    state = "loading";
    var s = document.createElement("script");
    s.src = root + "search_index.js";
    s.onload = function () { state = "ready"; waiting.splice(0).forEach(function (f) { f(); }); };
    s.onerror = function () { state = "idle"; say("The search index (search_index.js) is not beside this report's index page."); };
    document.head.appendChild(s);
  }
  function say(text) { list.textContent = ""; var li = document.createElement("li"); li.className = "msc-search-none"; li.textContent = text; list.appendChild(li); }
  function snippet(text, word) {
    var at = Math.max(0, fold(text).indexOf(word));
    var start = Math.max(0, at - 60);
    return (start > 0 ? "\u2026" : "") + text.slice(start, at + 100) + (at + 100 < text.length ? "\u2026" : "");
  }
  function run() {
    var q = fold(input.value).trim();
    list.textContent = "";
    if (q.length < 2) { return; }
    var words = q.split(/\s+/), hits = [];
    (window.mscSearchIndex || []).forEach(function (e, i) {
      var head = fold(e.heading), all = head + " " + fold(e.text);
      if (words.every(function (w) { return all.indexOf(w) >= 0; })) {
        var score = words.reduce(function (s, w) { return s + (head.indexOf(w) >= 0 ? 10 : 0); }, 0);
        hits.push({score: score, order: i, entry: e});
      }
    });
    if (!hits.length) { say("No section holds \u201c" + input.value.trim() + "\u201d."); return; }
    hits.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    hits.slice(0, 15).forEach(function (h) {
      var e = h.entry, li = document.createElement("li"), a = document.createElement("a");
      a.href = root + e.page + (e.anchor ? "#" + e.anchor : "");
      a.textContent = e.title + (e.heading && e.heading !== e.title ? ": " + e.heading : "");
      var p = document.createElement("span");
      p.className = "msc-search-snippet";
      p.textContent = snippet(e.text, words[0]);
      li.appendChild(a); li.appendChild(document.createTextNode(" ")); li.appendChild(p);
      list.appendChild(li);
    });
  }
  input.addEventListener("focus", function () { load(function () {}); });
  input.addEventListener("input", function () { load(run); });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { var first = list.querySelector("a"); if (first) { first.click(); } }
    if (ev.key === "Escape") { input.value = ""; list.textContent = ""; }
  });
}());
