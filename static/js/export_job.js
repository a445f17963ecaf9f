(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box) return;
  var bar = document.getElementById("export-progress");
  var state = document.getElementById("export-state");
  var download = document.getElementById("export-download");
  // The page's language: its messages come translated in data attributes, %(name)s filled here.
  var say = function (name, values) {
    return box.dataset[name].replace(/%\((\w+)\)s/g, function (_match, key) {
      return String(values[key]);
    });
  };
  var poll = function () {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (job) {
        bar.value = job.percent;
        if (job.status === "done") {
          state.textContent = say("ready", {rows: job.total_rows});
          download.hidden = false;
        } else if (job.status === "failed") {
          state.textContent = say("failed", {});
        } else {
          state.textContent = say(job.status === "queued" ? "queued" : "running", {done: job.progress_rows, rows: job.total_rows});
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  };
  poll();
})();
