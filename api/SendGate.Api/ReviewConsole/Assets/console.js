// SendGate console: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Countdowns to when a held mail leaves (or is discarded) on its own.
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-until]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-until")) - now) / 1000);
      if (isNaN(left)) { return; }
      if (left <= 0) { el.textContent = el.getAttribute("data-done") || ""; return; }
      var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = "(" + (d > 0 ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s) + ")";
    });
  }
  tick();
  setInterval(tick, 1000);

  // "Continue to your organisation's sign-in": followed at once, the link stays for those without script.
  var follow = document.querySelector("a[data-follow='true']");
  if (follow) { window.location.assign(follow.href); }

  // Select all on the approval queue.
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name='ids']").forEach(function (box) { box.checked = all.checked; });
    });
  }
})();
