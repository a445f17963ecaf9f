(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box) return;
  var bar = document.getElementById("export-progress");
  var state = document.getElementById("export-state");
  var download = document.getElementById("export-download");
  var poll = function () {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (job) {
        bar.value = job.percent;
        if (job.status === "done") {
          state.textContent = "Ready: " + job.total_rows + " rows.";
          download.hidden = false;
        } else if (job.status === "failed") {
          state.textContent = "The export failed; please try again.";
        } else {
          state.textContent = (job.status === "queued" ? "Queued" : "Running") + " — " + job.progress_rows + " of " + job.total_rows + " rows";
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  };
  poll();
})();
