/* The console's statistics charts, drawn by uPlot from the JSON the page
   carries (json_script): bookings and occupancy over the period, and the
   fleet-size advice's requests not served per station. */
(function () {
  "use strict";

  var COLOURS = ["#1d4ed8", "#b45309", "#15803d", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#a21caf"];

  // Counts have whole ticks (uPlot would label 0.2, 0.4... for small ones).
  var COUNTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

  function whole(u, ticks) {
    return ticks.map(function (t) { return String(Math.round(t)); });
  }

  function width(element) {
    return Math.max(280, element.clientWidth || 600);
  }

  function primary() {
    var value = getComputedStyle(document.documentElement).getPropertyValue("--primary").trim();
    return value || COLOURS[0];
  }

  function timeChart(element, data) {
    var bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : undefined;
    var options = {
      width: width(element),
      height: 280,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), data.tz); },
      series: [
        {},
        { label: data.series[0].label, stroke: primary(), fill: primary() + "66", paths: bars, points: { show: false }, scale: "count" },
        { label: data.series[1].label, stroke: COLOURS[1], width: 2, scale: "pct", spanGaps: true }
      ],
      scales: { x: { time: true }, count: { range: function (u, min, max) { return [0, Math.max(1, max)]; } }, pct: { range: [0, 100] } },
      axes: [
        {},
        { scale: "count", label: data.series[0].label, incrs: COUNTS, values: whole },
        { scale: "pct", side: 1, label: data.series[1].label, grid: { show: false } }
      ]
    };
    return new uPlot(options, [data.x, data.series[0].values, data.series[1].values], element);
  }

  function stepsChart(element, data) {
    var series = [{ label: "Δ", value: function (u, v) { return v == null ? "" : (v > 0 ? "+" + v : String(v)); } }];
    data.series.forEach(function (s, i) {
      series.push({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: false });
    });
    var options = {
      width: width(element),
      height: 280,
      series: series,
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [
        { values: function (u, ticks) { return ticks.map(function (t) { return t > 0 ? "+" + t : String(t); }); }, incrs: [1, 2, 5, 10, 20] },
        { incrs: COUNTS, values: whole }
      ]
    };
    var columns = [data.x].concat(data.series.map(function (s) { return s.values; }));
    return new uPlot(options, columns, element);
  }

  function draw() {
    if (typeof uPlot === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var chart = data.kind === "time" ? timeChart(element, data) : stepsChart(element, data);
      window.addEventListener("resize", function () {
        chart.setSize({ width: width(element), height: 280 });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
