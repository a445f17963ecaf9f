/* A small stacked bar chart in SVG: no dependency, no inline script (CSP-friendly).
   DexemBarChart.render(element, {labels, titles, ticks, tickLabels, locale,
                                  series: [{name, values, className}]})
   Every word and number it shows comes from the page (already in the reader's language): the
   script writes none of its own. */
(function (global) {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var LABEL_SPACING = 72; // px an axis label needs ("29 Dec. 2025" at 11px, and a gap)

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  /* Whole-number ticks from 0 (counts have no halves): a step of 1, 2 or 5 times a power of ten,
     at most `count` steps, the last tick at or above the highest bar. The page usually gives its
     own (calls/dashboard.py nice_ticks, the same rule); this is for a page that does not. */
  function niceTicks(maximum, count) {
    var top = Math.max(Math.ceil(maximum), 1), raw = top / count;
    var magnitude = raw >= 1 ? Math.pow(10, Math.floor(Math.log10(raw))) : 1;
    var step = [1, 2, 5, 10].map(function (s) { return s * magnitude; })
      .filter(function (s) { return s >= raw; })[0];
    var ticks = [];
    for (var t = 0; t <= Math.ceil(top / step); t++) ticks.push(t * step);
    return ticks;
  }

  function render(container, data) {
    var width = Math.max(container.clientWidth || 600, 240), height = 260;
    var format = new Intl.NumberFormat(data.locale || undefined);
    var pad = {top: 10, right: 10, bottom: 28, left: 44};
    var plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
    var count = data.labels.length;
    var totals = data.labels.map(function (_, i) {
      return data.series.reduce(function (sum, s) { return sum + (s.values[i] || 0); }, 0);
    });
    var ticks = data.ticks && data.ticks.length > 1 ? data.ticks : niceTicks(Math.max.apply(null, totals.concat([0])), 4);
    var max = ticks[ticks.length - 1];
    var svg = el("svg", {viewBox: "0 0 " + width + " " + height, width: "100%", height: height, class: "barchart"});
    ticks.forEach(function (tick, t) {
      var y = pad.top + plotH - (plotH * tick) / max;
      el("line", {x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid"}, svg);
      var text = data.tickLabels && data.ticks === ticks ? data.tickLabels[t] : format.format(tick);
      el("text", {x: pad.left - 6, y: y + 4, "text-anchor": "end", class: "axis"}, svg).textContent = text;
    });
    var slot = plotW / Math.max(count, 1), barW = Math.max(1, slot * 0.75);
    var labelEvery = Math.max(1, Math.ceil(count / Math.max(1, Math.floor(plotW / LABEL_SPACING))));
    data.labels.forEach(function (label, i) {
      var x = pad.left + i * slot + (slot - barW) / 2, base = pad.top + plotH;
      var title = (data.titles && data.titles[i]) || label;
      data.series.forEach(function (series) {
        var value = series.values[i] || 0, h = (plotH * value) / max;
        if (h > 0) {
          var bar = el("rect", {x: x, y: base - h, width: barW, height: h, class: "bar " + series.className}, svg);
          el("title", {}, bar).textContent = title + " · " + series.name + " " + format.format(value);
        }
        base -= h;
      });
      if (i % labelEvery === 0) {
        var anchor = i === 0 && labelEvery > 1 ? "start" : "middle";
        var lx = anchor === "start" ? x : x + barW / 2;
        el("text", {x: lx, y: height - 8, "text-anchor": anchor, class: "axis"}, svg).textContent = label;
      }
    });
    var legend = document.createElement("div");
    legend.className = "legend";
    data.series.forEach(function (series) {
      var item = document.createElement("span");
      item.className = "legend-item " + series.className;
      item.textContent = series.name;
      if (series.description) item.title = series.description;
      legend.appendChild(item);
    });
    container.replaceChildren(svg, legend);
  }

  /* Draws the answered/unanswered chart whose data a page put in the JSON script `dataId` (no
     inline script: the CSP forbids it), and draws it again when the window is resized. */
  function mount(containerId, dataId) {
    var container = document.getElementById(containerId);
    var source = document.getElementById(dataId);
    if (!container || !source) return;
    var data = JSON.parse(source.textContent);
    var series = (data.series || []).map(function (s) {
      return {name: s.name, description: s.description, className: s.className, values: data[s.key] || []};
    });
    var draw = function () {
      render(container, {
        labels: data.labels,
        titles: data.titles,
        ticks: data.ticks,
        tickLabels: data.tick_labels,
        locale: data.locale,
        series: series
      });
    };
    draw();
    global.addEventListener("resize", draw);
  }

  global.DexemBarChart = {render: render, mount: mount, niceTicks: niceTicks};
})(window);
