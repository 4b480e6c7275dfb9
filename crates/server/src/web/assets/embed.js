// Slotline embed: put a booking page on any website.
//
//   <div data-slotline="/c/my-calendar"></div>                       inline
//   <button data-slotline-lightbox="/c/my-calendar">Book</button>    lightbox on click
//   <script src="https://slotline.example/embed.js" data-slotline-floating="/c/my-calendar"
//           data-slotline-floating-text="Book a meeting" async></script>   floating button
//
// OnceHub's attributes work too: data-oh-booking-calendar-id="BKC-…" (inline),
// data-oh-lightbox-bkc-id="BKC-…" (lightbox), data-so-page="PageLink" (classic page: inline on a
// div, lightbox on a button) with data-so-qry-prm="name=…&email=…" for prefill; ours is
// data-slotline-params. The page's own utm_* parameters are passed to the booking page.
//
// Events: every "oncehub.*" message from the iframe is re-dispatched as a DOM CustomEvent of the
// same type on the embedding element (it bubbles; event.detail is the payload), and a classic
// inline page calls window.SOAfterConfirmationFunction(data) after a booking.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(script.src).origin;
  var frames = []; // {iframe, element, mode}

  function pageUrl(path, params) {
    var u = new URL(path, base);
    if (u.origin !== base) { return null; }
    if (params) {
      new URLSearchParams(params).forEach(function (v, k) { u.searchParams.set(k, v); });
    }
    // Source tracking: the host page's UTM tags, when it has them.
    new URLSearchParams(window.location.search).forEach(function (v, k) {
      if (/^utm_(source|medium|campaign|term|content)$/i.test(k)) { u.searchParams.set(k.toLowerCase(), v); }
    });
    u.searchParams.set("sl.origin", window.location.origin);
    return u.href;
  }

  function frame(src, element, mode, height) {
    var f = document.createElement("iframe");
    f.src = src;
    f.title = "Booking page";
    f.setAttribute("loading", "lazy");
    f.style.cssText = "width:100%;border:0;display:block;height:" + (height || 700) + "px";
    frames.push({ iframe: f, element: element, mode: mode });
    return f;
  }

  function inline(el, path, params) {
    var src = pageUrl(path, params);
    if (!src) { return; }
    el.innerHTML = "";
    el.appendChild(frame(src, el, "inline", parseInt(el.getAttribute("data-height"), 10) || 700));
  }

  var box = null;
  function closeBox() {
    if (!box) { return; }
    frames = frames.filter(function (x) { return x.element !== box.trigger; });
    box.overlay.remove();
    document.removeEventListener("keydown", box.onKey);
    if (box.trigger && box.trigger.focus) { box.trigger.focus(); }
    box = null;
  }
  function lightbox(trigger, path, params) {
    var src = pageUrl(path, params);
    if (!src) { return; }
    closeBox();
    var overlay = document.createElement("div");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.style.cssText = "position:fixed;inset:0;background:rgba(15,20,30,.6);z-index:2147483646;display:flex;align-items:center;justify-content:center;padding:16px";
    var panel = document.createElement("div");
    panel.style.cssText = "position:relative;background:#fff;border-radius:10px;width:100%;max-width:900px;max-height:92vh;overflow:auto";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Close");
    close.style.cssText = "position:absolute;top:4px;right:8px;font-size:24px;border:0;background:none;cursor:pointer;z-index:1";
    close.addEventListener("click", closeBox);
    overlay.addEventListener("click", function (e) { if (e.target === overlay) { closeBox(); } });
    panel.appendChild(close);
    panel.appendChild(frame(src, trigger, "lightbox", 640));
    overlay.appendChild(panel);
    document.body.appendChild(overlay);
    var onKey = function (e) { if (e.key === "Escape") { closeBox(); } };
    document.addEventListener("keydown", onKey);
    box = { overlay: overlay, trigger: trigger, onKey: onKey };
    close.focus();
  }

  function paramsOf(el) {
    return el.getAttribute("data-slotline-params") || el.getAttribute("data-so-qry-prm") || "";
  }

  function scan() {
    var each = function (sel, fn) { Array.prototype.forEach.call(document.querySelectorAll(sel), function (el) {
      if (el.getAttribute("data-slotline-ready")) { return; }
      el.setAttribute("data-slotline-ready", "1");
      fn(el);
    }); };
    each("[data-slotline]", function (el) { inline(el, el.getAttribute("data-slotline"), paramsOf(el)); });
    each("[data-oh-booking-calendar-id]", function (el) {
      inline(el, "/c/" + encodeURIComponent(el.getAttribute("data-oh-booking-calendar-id")), paramsOf(el));
    });
    each("[data-so-page]", function (el) {
      var path = "/p/" + encodeURIComponent(el.getAttribute("data-so-page"));
      if (el.tagName === "BUTTON" || el.tagName === "A") {
        el.addEventListener("click", function (e) { e.preventDefault(); lightbox(el, path, paramsOf(el)); });
      } else { inline(el, path, paramsOf(el)); }
    });
    each("[data-slotline-lightbox]", function (el) {
      el.addEventListener("click", function (e) { e.preventDefault(); lightbox(el, el.getAttribute("data-slotline-lightbox"), paramsOf(el)); });
    });
    each("[data-oh-lightbox-bkc-id]", function (el) {
      el.addEventListener("click", function (e) {
        e.preventDefault();
        lightbox(el, "/c/" + encodeURIComponent(el.getAttribute("data-oh-lightbox-bkc-id")), paramsOf(el));
      });
    });
    var floating = script.getAttribute("data-slotline-floating");
    if (floating && !document.getElementById("slotline-floating")) {
      var b = document.createElement("button");
      b.id = "slotline-floating";
      b.type = "button";
      b.textContent = script.getAttribute("data-slotline-floating-text") || "Book a meeting";
      b.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483645;padding:12px 18px;border:0;border-radius:24px;background:#1f6feb;color:#fff;font:600 15px system-ui,sans-serif;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer";
      b.addEventListener("click", function () { lightbox(b, floating, script.getAttribute("data-slotline-params") || ""); });
      document.body.appendChild(b);
    }
  }

  window.addEventListener("message", function (e) {
    if (e.origin !== base) { return; }
    var from = null;
    frames.forEach(function (x) { if (x.iframe.contentWindow === e.source) { from = x; } });
    var m = e.data;
    if (!from || !m || typeof m.type !== "string") { return; }
    var payload = m.payload || {};
    if (m.type === "slotline.resize") {
      var h = parseInt(payload.height, 10);
      if (h > 0 && from.mode === "inline") { from.iframe.style.height = h + "px"; }
    } else if (m.type === "slotline.redirect") {
      var target;
      try { target = new URL(payload.url); } catch (err) { return; }
      if (target.protocol === "https:" || target.protocol === "http:") { window.location.assign(target.href); }
    } else if (m.type === "slotline.so_after_confirmation") {
      if (from.mode === "inline" && typeof window.SOAfterConfirmationFunction === "function") {
        window.SOAfterConfirmationFunction(payload);
      }
    } else if (m.type.indexOf("oncehub.") === 0) {
      from.element.dispatchEvent(new CustomEvent(m.type, { detail: payload, bubbles: true }));
    }
  });

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", scan); } else { scan(); }
})();
