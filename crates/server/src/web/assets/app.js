// The hosts' app's only script: a "Copy" button next to a value (data-copy="<id of the field>"),
// and the console's live view of events (server-sent events into #live). Without script the
// value is still there to select and copy by hand, and the event log has every event.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) { return; }
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        field.select();
        document.execCommand("copy");
        done();
      }
    });
  });
})();

(function () {
  "use strict";
  var rows = document.getElementById("live");
  var state = document.getElementById("live-state");
  if (!rows || !state || !window.EventSource) { return; }
  // The browser sends the last id it saw when it reconnects: nothing is missed or repeated.
  var source = new EventSource(state.getAttribute("data-stream"));
  source.onopen = function () { state.textContent = "Connected: new events appear below as they are written."; };
  source.onerror = function () { state.textContent = "Connection lost; reconnecting…"; };
  source.onmessage = function (message) {
    var event;
    try { event = JSON.parse(message.data); } catch (e) { return; }
    var row = document.createElement("tr");
    var made = document.createElement("td");
    made.textContent = String(event.creation_time || "").replace("T", " ").replace(/\.\d+Z$/, " UTC");
    var type = document.createElement("td");
    var code = document.createElement("code");
    code.textContent = event.type;
    type.appendChild(code);
    var id = document.createElement("td");
    var link = document.createElement("a");
    link.href = "/app/events/" + encodeURIComponent(event.id);
    link.textContent = event.id;
    id.appendChild(link);
    row.appendChild(made);
    row.appendChild(type);
    row.appendChild(id);
    row.setAttribute("data-event", event.id);
    rows.insertBefore(row, rows.firstChild);
    while (rows.children.length > 200) { rows.removeChild(rows.lastChild); }
  };
})();
