(function () {
  "use strict";
  window.DexemBarChart.mount("calls-chart", "calls-chart-data");

  var period = document.getElementById("id_period");
  var custom = document.querySelectorAll("#period-form input[type=date]");
  var toggle = function () {
    custom.forEach(function (input) { input.closest(".field").hidden = period.value !== "custom"; });
  };
  if (period) { period.addEventListener("change", toggle); toggle(); }
})();
