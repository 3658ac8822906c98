// Keeps a video's status panel current: polls /videos/<id>/status/ every couple of
// seconds while the video is being made, moves the progress bar, and swaps in the
// server-rendered panel (player, error, remix form) when the status changes.
(function () {
  "use strict";
  var panel = document.getElementById("status-panel");
  if (!panel) return;
  var running = ["pending", "queued", "in_progress"];
  var url = panel.dataset.statusUrl;
  var delay = 2000;

  function update(data) {
    if (data.phase !== panel.dataset.phase) {
      panel.dataset.status = data.status;
      panel.dataset.phase = data.phase;
      panel.innerHTML = data.html;
      return;
    }
    var bar = panel.querySelector("progress");
    // A bar without a value is indeterminate: the host reports no progress.
    if (bar && bar.hasAttribute("value")) bar.value = data.progress;
    var text = panel.querySelector("[data-progress-text]");
    if (text) text.textContent = data.progress + "%";
    var estimate = panel.querySelector("[data-estimate]");
    var estimateLine = panel.querySelector("[data-estimate-line]");
    if (estimate && estimateLine) {
      estimate.textContent = data.estimate;
      estimateLine.hidden = !data.estimate;
    }
  }

  // Elapsed time ticks every second between polls, from when the host took the video.
  function tick() {
    var line = panel.querySelector("[data-started-at]");
    var elapsed = line && line.querySelector("[data-elapsed]");
    var started = line && Number(line.dataset.startedAt);
    if (elapsed && started) {
      var seconds = Math.max(0, Math.floor(Date.now() / 1000 - started));
      elapsed.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    }
  }
  window.setInterval(tick, 1000);

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (data) {
        update(data);
        delay = 2000;
        if (data.running) window.setTimeout(poll, delay);
      })
      .catch(function () {
        // A blip (deploy, network): back off, keep trying.
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }

  if (running.indexOf(panel.dataset.status) !== -1) window.setTimeout(poll, delay);
})();
