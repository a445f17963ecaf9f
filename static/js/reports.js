/* The reports page's chart (no inline script: the CSP forbids it). */
(function () {
  "use strict";
  var container = document.getElementById("report-chart");
  var source = document.getElementById("report-chart-data");
  if (!container || !source) return;
  var data = JSON.parse(source.textContent);
  var draw = function () {
    window.DexemBarChart.render(container, {
      labels: data.labels,
      series: [
        {name: "answered", values: data.answered, className: "answered"},
        {name: "missed", values: data.missed, className: "missed"}
      ]
    });
  };
  draw();
  window.addEventListener("resize", draw);
})();
