/* The reports page's chart (no inline script: the CSP forbids it). */
(function () {
  "use strict";
  window.DexemBarChart.mount("report-chart", "report-chart-data");
})();
