// The chat inside the widget's iframe: a launcher, and a window that runs the bot's flow —
// messages, questions, choices, picking a time and booking — through Slotline's JSON calls on
// this origin. It tells the embedding page what happens (oncehub.chatbot.* events).
(function () {
  "use strict";
  var root = document.getElementById("chat");
  var data = JSON.parse(document.getElementById("sl-data").textContent || "{}");
  var config = JSON.parse(root.getAttribute("data-config") || "{}");
  var embedded = window.parent !== window && typeof data.origin === "string" && data.origin.length > 0;
  function post(type, payload) { if (embedded) { window.parent.postMessage({ type: type, payload: payload }, data.origin); } }
  if (!config.bot) { return; }
  // Every event tells the bot, and (an extension) the campaign that brought the visitor.
  var bot = { bot_id: config.bot.id, bot_name: config.bot.name, utm_params: config.utm_params || null };
  var zone = "UTC";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { /* UTC */ }
  var remembered = "slotline.chat." + config.website;
  var state = { token: null, started: false, waiting: null, opening: false };

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) { n.textContent = text; }
    return n;
  }
  document.body.style.cssText = "margin:0;background:transparent";
  document.querySelector("main").style.cssText = "padding:0;max-width:none";
  var launcher = el("button", { type: "button", id: "launcher", "aria-expanded": "false" }, "Chat with " + config.bot.name);
  launcher.style.cssText = "position:fixed;right:4px;bottom:4px;padding:12px 18px;border:0;border-radius:24px;background:#1f6feb;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;white-space:nowrap";
  var panel = el("section", { id: "panel", role: "dialog", "aria-label": config.bot.name, hidden: "" });
  panel.style.cssText = "position:fixed;inset:0;display:flex;flex-direction:column;background:#fff;border:1px solid #d9dee5;border-radius:12px;overflow:hidden;font:15px/1.4 system-ui,sans-serif";
  var head = el("header", {}, "");
  head.style.cssText = "display:flex;justify-content:space-between;align-items:center;padding:10px 14px;background:#1f6feb;color:#fff;font-weight:600";
  head.appendChild(el("span", {}, config.bot.name));
  var closer = el("button", { type: "button", id: "close", "aria-label": "Close chat" }, "\u00d7");
  closer.style.cssText = "border:0;background:none;color:#fff;font-size:22px;cursor:pointer";
  head.appendChild(closer);
  var log = el("div", { id: "log", "aria-live": "polite" });
  log.style.cssText = "flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:8px";
  var input = el("div", { id: "input" });
  input.style.cssText = "padding:10px;border-top:1px solid #d9dee5;display:flex;flex-wrap:wrap;gap:6px";
  panel.appendChild(head); panel.appendChild(log); panel.appendChild(input);
  root.appendChild(launcher); root.appendChild(panel);

  function size(open) {
    post("slotline.chat.size", open ? { width: 380, height: 560 } : { width: Math.ceil(launcher.getBoundingClientRect().width) + 12, height: 64 });
  }
  function say(text, who) {
    if (!text) { return; }
    var b = el("p", { "class": who === "me" ? "me" : "bot" }, text);
    b.style.cssText = "margin:0;padding:8px 12px;border-radius:12px;max-width:85%;" + (who === "me" ? "align-self:flex-end;background:#1f6feb;color:#fff" : "align-self:flex-start;background:#f0f2f5");
    log.appendChild(b);
    log.scrollTop = log.scrollHeight;
  }
  function problem(text) { var p = el("p", { role: "alert", "class": "problem" }, text); p.style.cssText = "color:#b42318;margin:0;width:100%"; input.prepend(p); }
  function call(method, path, body) {
    return fetch(path, { method: method, headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw new Error(j.message || "Something went wrong."); } return j; }); });
  }
  function answered(step, values, label) {
    post("oncehub.chatbot.button_clicked", { bot_id: bot.bot_id, bot_name: bot.bot_name, utm_params: bot.utm_params, button_text: label, interaction_label: step.interaction_label, question_text: step.text, answer: values.join(", ") });
    if (!state.started) { state.started = true; post("oncehub.chatbot.started", bot); }
  }
  function reply(step, values, label) {
    input.innerHTML = "";
    say(label, "me");
    answered(step, values, label);
    call("POST", "/w/conversations/" + state.token + "/reply", { values: values }).then(show).catch(function (e) { problem(e.message); ask(step); });
  }
  function show(res) {
    res.steps.forEach(function (s) { say(s.text, "bot"); });
    var last = res.steps[res.steps.length - 1];
    state.waiting = res.ended ? null : last;
    if (state.waiting) { ask(state.waiting); } else { input.innerHTML = ""; try { localStorage.removeItem(remembered); } catch (e) { /* none */ } }
  }
  function ask(step) {
    input.innerHTML = "";
    if (step.type === "question") {
      var f = el("form", {}); f.style.cssText = "display:flex;gap:6px;width:100%";
      var kind = { email: "email", phone: "tel", number: "number" }[step.answer] || "text";
      var box = el("input", { type: kind, name: "answer", "aria-label": step.text, required: "" }); box.style.cssText = "flex:1;padding:8px;border:1px solid #d9dee5;border-radius:8px;font:inherit";
      var send = el("button", { type: "submit" }, "Send");
      f.appendChild(box); f.appendChild(send); input.appendChild(f);
      f.addEventListener("submit", function (e) { e.preventDefault(); reply(step, [box.value], box.value); });
      box.focus();
    } else if (step.type === "single_choice") {
      step.options.forEach(function (o) {
        var b = el("button", { type: "button", "class": "choice" }, o);
        b.addEventListener("click", function () { reply(step, [o], o); });
        input.appendChild(b);
      });
    } else if (step.type === "multiple_choice") {
      step.options.forEach(function (o) {
        var l = el("label", {}); var c = el("input", { type: "checkbox", value: o }); l.appendChild(c); l.appendChild(document.createTextNode(" " + o)); input.appendChild(l);
      });
      var done = el("button", { type: "button" }, "Send");
      done.addEventListener("click", function () {
        var picked = Array.prototype.filter.call(input.querySelectorAll("input[type=checkbox]"), function (c) { return c.checked; }).map(function (c) { return c.value; });
        reply(step, picked, picked.join(", "));
      });
      input.appendChild(done);
    } else if (step.type === "schedule") {
      times(step, null);
    }
  }
  function times(step, from) {
    call("GET", "/w/conversations/" + state.token + "/times?tz=" + encodeURIComponent(zone) + (from ? "&from=" + from : "")).then(function (res) {
      input.innerHTML = "";
      if (!res.days.length) { say("No free times that week.", "bot"); }
      res.days.slice(0, 3).forEach(function (d) {
        var day = el("div", {}); day.style.cssText = "width:100%";
        day.appendChild(el("strong", {}, d.label));
        var row = el("div", {}); row.style.cssText = "display:flex;flex-wrap:wrap;gap:4px;margin-top:4px";
        d.times.slice(0, 8).forEach(function (t) {
          var b = el("button", { type: "button", "class": "time" }, t.label);
          b.addEventListener("click", function () { book(step, t, d.label + " " + t.label); });
          row.appendChild(b);
        });
        day.appendChild(row); input.appendChild(day);
      });
      if (res.next) { var more = el("button", { type: "button" }, "Later"); more.addEventListener("click", function () { times(step, res.next); }); input.appendChild(more); }
    }).catch(function (e) { problem(e.message); });
  }
  function book(step, t, label) {
    input.innerHTML = "";
    say(label, "me");
    answered(step, [label], label);
    call("POST", "/w/conversations/" + state.token + "/book", { start: t.start, time_zone: zone }).then(function (res) {
      say("Booked: " + label + ".", "bot");
      show(res);
    }).catch(function (e) { problem(e.message); ask(step); });
  }
  // The window's inline `display` would override the `hidden` attribute: set both.
  function visible(open) {
    panel.hidden = !open; panel.style.display = open ? "flex" : "none";
    launcher.hidden = open; launcher.style.display = open ? "none" : "block";
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
  }
  function open(initiatedBy) {
    visible(true);
    size(true);
    post("oncehub.chatbot.opened", bot);
    if (state.token || state.opening) { return; }
    state.opening = true;
    var previous = null;
    try { previous = localStorage.getItem(remembered); } catch (e) { /* none */ }
    call("POST", "/w/" + encodeURIComponent(config.website) + "/conversations", { initiated_by: initiatedBy, path: config.path, previous: previous, page_url: config.page_url || null, utm_params: config.utm_params || null }).then(function (res) {
      state.token = res.token;
      try { localStorage.setItem(remembered, res.token); } catch (e) { /* none */ }
      show(res);
    }).catch(function (e) { state.opening = false; problem(e.message); });
  }
  launcher.addEventListener("click", function () { open("contact"); });
  closer.addEventListener("click", function () {
    visible(false);
    size(false);
    post("oncehub.chatbot.closed", bot);
  });
  visible(false);
  size(false);
  if (typeof config.reach_out_after === "number") {
    setTimeout(function () { if (!state.token) { open("bot"); } }, config.reach_out_after * 1000);
  }
})();
