(function () {
  "use strict";
  var container = document.getElementById("calls-chart");
  var source = document.getElementById("calls-chart-data");
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

  var period = document.getElementById("id_period");
  var custom = document.querySelectorAll("#period-form input[type=date]");
  var toggle = function () {
    custom.forEach(function (input) { input.closest(".field").hidden = period.value !== "custom"; });
  };
  if (period) { period.addEventListener("change", toggle); toggle(); }
})();
