// Runs inside every public page. When the page is embedded, it tells the parent page what
// happened (postMessage to the embedding origin only, never "*"), keeps the iframe's height in
// step with the content, and asks the parent to navigate when the booking redirects.
(function () {
  "use strict";
  var node = document.getElementById("sl-data");
  var data = {};
  try { data = node ? JSON.parse(node.textContent) : {}; } catch (e) { data = {}; }
  var origin = data.origin;
  var embedded = window.parent !== window && typeof origin === "string" && origin.length > 0;

  // The guest's own time zone, the first time a page is shown: reload once with it.
  var tz = document.querySelector("select[data-auto-tz]");
  if (tz) {
    try {
      var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
      var offered = Array.prototype.some.call(tz.options, function (o) { return o.value === mine; });
      if (mine && offered && mine !== tz.value) {
        tz.value = mine;
        tz.form.submit();
        return; // the next page reports the events
      }
    } catch (e) { /* keep the page's zone */ }
  }
  var zones = document.querySelectorAll("select[data-submit-on-change]");
  Array.prototype.forEach.call(zones, function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });

  function post(message) {
    if (embedded) { window.parent.postMessage(message, origin); }
  }
  (data.events || []).forEach(post);

  if (embedded) {
    var last = 0;
    var size = function () {
      var h = Math.ceil(document.documentElement.scrollHeight);
      if (h !== last) { last = h; post({ type: "slotline.resize", payload: { height: h } }); }
    };
    if (window.ResizeObserver) { new ResizeObserver(size).observe(document.body); }
    window.addEventListener("load", size);
    size();
  }

  if (data.redirect) {
    if (embedded) { post({ type: "slotline.redirect", payload: { url: data.redirect } }); }
    else { window.location.replace(data.redirect); }
  }
})();
