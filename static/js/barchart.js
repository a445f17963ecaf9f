/* A small stacked bar chart in SVG: no dependency, no inline script (CSP-friendly).
   DexemBarChart.render(element, {labels: [...], series: [{name, values, className}]}) */
(function (global) {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function niceMax(value) {
    if (value <= 5) return 5;
    var magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * magnitude >= value) return steps[i] * magnitude;
    }
    return 10 * magnitude;
  }

  function render(container, data) {
    var width = Math.max(container.clientWidth || 600, 300), height = 260;
    var pad = {top: 10, right: 10, bottom: 28, left: 40};
    var plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
    var count = data.labels.length;
    var totals = data.labels.map(function (_, i) {
      return data.series.reduce(function (sum, s) { return sum + (s.values[i] || 0); }, 0);
    });
    var max = niceMax(Math.max.apply(null, totals.concat([0])));
    var svg = el("svg", {viewBox: "0 0 " + width + " " + height, width: "100%", height: height, class: "barchart"});
    for (var t = 0; t <= 4; t++) {
      var y = pad.top + plotH - (plotH * t) / 4;
      el("line", {x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid"}, svg);
      el("text", {x: pad.left - 6, y: y + 4, "text-anchor": "end", class: "axis"}, svg).textContent = Math.round((max * t) / 4);
    }
    var slot = plotW / Math.max(count, 1), barW = Math.max(1, slot * 0.75);
    var labelEvery = Math.ceil(count / Math.max(1, Math.floor(plotW / 70)));
    data.labels.forEach(function (label, i) {
      var x = pad.left + i * slot + (slot - barW) / 2, base = pad.top + plotH;
      data.series.forEach(function (series) {
        var value = series.values[i] || 0, h = (plotH * value) / max;
        if (h > 0) {
          var bar = el("rect", {x: x, y: base - h, width: barW, height: h, class: series.className}, svg);
          el("title", {}, bar).textContent = label + ": " + value + " " + series.name;
        }
        base -= h;
      });
      if (i % labelEvery === 0) {
        el("text", {x: x + barW / 2, y: height - 8, "text-anchor": "middle", class: "axis"}, svg).textContent = label.slice(5);
      }
    });
    var legend = document.createElement("div");
    legend.className = "legend";
    data.series.forEach(function (series) {
      var item = document.createElement("span");
      item.className = "legend-item " + series.className;
      item.textContent = series.name;
      legend.appendChild(item);
    });
    container.replaceChildren(svg, legend);
  }

  /* Draws the answered/missed chart whose data a page put in the JSON script `dataId` (no inline
     script: the CSP forbids it), and draws it again when the window is resized. */
  function mount(containerId, dataId) {
    var container = document.getElementById(containerId);
    var source = document.getElementById(dataId);
    if (!container || !source) return;
    var data = JSON.parse(source.textContent);
    var draw = function () {
      render(container, {
        labels: data.labels,
        series: [
          {name: "answered", values: data.answered, className: "answered"},
          {name: "missed", values: data.missed, className: "missed"}
        ]
      });
    };
    draw();
    global.addEventListener("resize", draw);
  }

  global.DexemBarChart = {render: render, mount: mount};
})(window);
