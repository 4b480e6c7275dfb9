// Slotline chat widget: one script tag per website.
//
//   <script src="https://slotline.example/widget.js?website_id=WEB-…" defer></script>
//
// It adds the chat (an iframe from Slotline, sized to its launcher or its open window) at the
// bottom right. The chat's events reach this page as OnceHub sends them — postMessage
// {type: "oncehub.chatbot.…", payload}, from Slotline's origin, only to this page's origin —
// and are also dispatched as DOM CustomEvents on the document (event.detail is the payload).
// The chat learns the page it is on and the visit's utm_* tags (those of the page the visit
// landed on, kept for the tab's session), so conversations and their bookings tell which
// campaign brought the visitor.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var src = new URL(script.src);
  var base = src.origin;
  var website = src.searchParams.get("website_id") || script.getAttribute("data-website-id");
  if (!website) { return; }
  var tags = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var here = new URLSearchParams(window.location.search);
  var utm = {};
  tags.forEach(function (t) { if (here.get(t)) { utm[t] = here.get(t); } });
  var kept = "slotline.utm." + website;
  try {
    if (Object.keys(utm).length) { sessionStorage.setItem(kept, JSON.stringify(utm)); } else { utm = JSON.parse(sessionStorage.getItem(kept) || "{}"); }
  } catch (e) { /* storage unavailable: this page's tags only */ }
  var page = window.location.origin + window.location.pathname + window.location.search;
  var frame = document.createElement("iframe");
  frame.title = "Chat";
  frame.src = base + "/w/" + encodeURIComponent(website) + "?sl.origin=" + encodeURIComponent(window.location.origin) +
    "&sl.path=" + encodeURIComponent(window.location.pathname) + "&sl.page=" + encodeURIComponent(page.slice(0, 2048)) +
    tags.filter(function (t) { return typeof utm[t] === "string"; }).map(function (t) { return "&" + t + "=" + encodeURIComponent(utm[t].slice(0, 255)); }).join("");
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
