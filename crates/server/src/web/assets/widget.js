// Slotline chat widget: one script tag per website.
//
//   <script src="https://slotline.example/widget.js?website_id=WEB-…" defer></script>
//
// It adds the chat (an iframe from Slotline, sized to its launcher or its open window) at the
// bottom right. The chat's events reach this page as OnceHub sends them — postMessage
// {type: "oncehub.chatbot.…", payload}, from Slotline's origin, only to this page's origin —
// and are also dispatched as DOM CustomEvents on the document (event.detail is the payload).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var src = new URL(script.src);
  var base = src.origin;
  var website = src.searchParams.get("website_id") || script.getAttribute("data-website-id");
  if (!website) { return; }
  var frame = document.createElement("iframe");
  frame.title = "Chat";
  frame.src = base + "/w/" + encodeURIComponent(website) + "?sl.origin=" + encodeURIComponent(window.location.origin) +
    "&sl.path=" + encodeURIComponent(window.location.pathname);
  frame.style.cssText = "position:fixed;right:16px;bottom:16px;width:0;height:0;border:0;z-index:2147483640;background:transparent;color-scheme:normal";
  window.addEventListener("message", function (e) {
    if (e.origin !== base || e.source !== frame.contentWindow) { return; }
    var m = e.data;
    if (!m || typeof m.type !== "string") { return; }
    if (m.type === "slotline.chat.size") {
      frame.style.width = Math.min(parseInt(m.payload.width, 10) || 0, window.innerWidth - 24) + "px";
      frame.style.height = Math.min(parseInt(m.payload.height, 10) || 0, window.innerHeight - 24) + "px";
    } else if (m.type.indexOf("oncehub.") === 0) {
      document.dispatchEvent(new CustomEvent(m.type, { detail: m.payload }));
    }
  });
  var add = function () { document.body.appendChild(frame); };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", add); } else { add(); }
})();
