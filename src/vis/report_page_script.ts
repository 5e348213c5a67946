/**
 * The script inside a report (plain JavaScript, run by the browser that opens the file): reads the
 * report's JSON and draws it with uPlot (inlined beside it). Kept as text so the report needs no
 * bundler at run time; render_report.ts puts it in the page.
 *
 * Every chart's container carries `data-points` (points drawn) and `data-series`, and the body
 * gets `data-rendered="1"` when all is drawn — the browser test reads them.
 */
export const REPORT_PAGE_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var TRAIN = "#1f77b4", VAL = "#ff7f0e", OTHER = "#2ca02c";
  var root = document.getElementById("report");

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function section(title, note) {
    var s = el("section");
    s.appendChild(el("h2", {}, title));
    if (note) s.appendChild(el("p", { class: "note" }, note));
    var grid = el("div", { class: "grid" });
    s.appendChild(grid);
    root.appendChild(s);
    return grid;
  }
  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    var a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }
  // Axis ticks: short, at most 3 significant digits.
  function tick(v) {
    if (v === null || v === undefined) return "";
    var a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(1) : String(Number(v.toPrecision(3)));
  }
  // A line chart: xs, and series [{ label, values, color, dash }].
  // Whole-number steps for epoch and batch axes (no "1.5 epochs").
  var WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
  function lineChart(grid, title, xLabel, xs, series, extra, wide) {
    var box = el("figure", { class: "chart" });
    box.appendChild(el("figcaption", {}, title));
    grid.appendChild(box);
    var width = wide ? Math.max(320, Math.min(1120, grid.clientWidth - 20)) : Math.max(320, Math.min(560, grid.clientWidth - 16));
    var opts = {
      width: width,
      height: 220,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [{ label: xLabel, size: 40, incrs: WHOLE }, { size: 60, values: function (u, vals) { return vals.map(tick); } }],
      series: [{ label: xLabel }].concat(series.map(function (s) {
        return { label: s.label, stroke: s.color, width: 2, dash: s.dash, points: { show: xs.length <= 60 }, value: function (u, v) { return fmt(v); } };
      })),
    };
    if (extra) extra(opts);
    var plot = new uPlot(opts, [xs].concat(series.map(function (s) { return s.values; })), box);
    box.dataset.points = String(xs.length);
    box.dataset.series = series.map(function (s) { return s.label; }).join(",");
    box.dataset.title = title;
    return plot;
  }

  var header = el("header");
  header.appendChild(el("h1", {}, data.title));
  header.appendChild(el("p", { class: "note" }, "Made " + data.created.replace("T", " ").replace(/\..*/, " UTC") + " by ragged."));
  root.appendChild(header);

  if (data.summary) {
    var sum = el("details", { open: "" });
    sum.appendChild(el("summary", {}, "Model"));
    sum.appendChild(el("pre", {}, data.summary));
    root.appendChild(sum);
  }

  var training = data.training;
  if (training && training.epochs.length > 0) {
    var epochs = training.epochs;
    var xs = epochs.map(function (e) { return e.epoch + 1; });
    var names = [];
    epochs.forEach(function (e) {
      Object.keys(e.logs).forEach(function (k) {
        var base = k.indexOf("val_") === 0 ? k.slice(4) : k;
        if (base !== "learning_rate" && names.indexOf(base) < 0) names.push(base);
      });
    });
    names.sort(function (a, b) { return a === "loss" ? -1 : b === "loss" ? 1 : a < b ? -1 : 1; });
    var g = section("Per epoch", "Training (blue) and validation (orange) at the end of each epoch.");
    names.forEach(function (name) {
      var series = [];
      if (epochs.some(function (e) { return name in e.logs; })) series.push({ label: name, color: TRAIN, values: epochs.map(function (e) { return name in e.logs ? e.logs[name] : null; }) });
      if (epochs.some(function (e) { return "val_" + name in e.logs; })) series.push({ label: "val_" + name, color: VAL, values: epochs.map(function (e) { var v = e.logs["val_" + name]; return v === undefined ? null : v; }) });
      lineChart(g, name, "epoch", xs, series);
    });
    var b = section("Per batch", "The running epoch average after each batch, as the progress bar shows it; x is the batch count over the run.");
    var steps = training.batches.map(function (r) { return r.step; });
    names.forEach(function (name) {
      if (!training.batches.some(function (r) { return name in r.logs; })) return;
      lineChart(b, name + " (per batch)", "batch", steps, [{ label: name, color: TRAIN, values: training.batches.map(function (r) { return name in r.logs ? r.logs[name] : null; }) }]);
    });
    var o = section("Optimisation", "Learning rate at the end of each epoch, wall-clock seconds per epoch, and padding efficiency: real steps ÷ (batch size × longest sequence) over the epoch's batches — the share of a padded framework's work that is real.");
    lineChart(o, "learning rate", "epoch", xs, [{ label: "learning rate", color: OTHER, values: epochs.map(function (e) { return e.learningRate; }) }]);
    lineChart(o, "seconds per epoch", "epoch", xs, [{ label: "seconds", color: OTHER, values: epochs.map(function (e) { return e.seconds; }) }]);
    lineChart(o, "padding efficiency", "epoch", xs, [{ label: "padding efficiency", color: OTHER, values: epochs.map(function (e) { return e.paddingEfficiency; }) }], function (opts) {
      opts.scales.y = { range: [0, 1] };
    });
  }

  if (data.logs) {
    var lg = section("Evaluation");
    var table = el("table", { class: "logs" });
    Object.keys(data.logs).forEach(function (k) {
      var tr = el("tr");
      tr.appendChild(el("th", {}, k));
      tr.appendChild(el("td", {}, fmt(data.logs[k])));
      table.appendChild(tr);
    });
    lg.appendChild(table);
  }

  var ev = data.evaluation;
  if (ev) {
    var note = ev.sequences + " sequences (" + ev.rows + " predicted rows) of " + ev.source + "; " + ev.metric + " overall " + fmt(ev.overall) + ".";
    if (ev.confusion) {
      var c = section("Confusion matrix", note + " Rows: true class; columns: predicted class; each cell counts rows, shaded by its share of the row.");
      var labels = ev.confusion.labels, m = ev.confusion.matrix;
      var t = el("table", { class: "confusion", id: "confusion" });
      var head = el("tr");
      head.appendChild(el("th", { class: "corner" }, "true ↓ / predicted →"));
      labels.forEach(function (l) { head.appendChild(el("th", {}, l)); });
      t.appendChild(head);
      m.forEach(function (row, i) {
        var total = row.reduce(function (a, v) { return a + v; }, 0) || 1;
        var tr = el("tr");
        tr.appendChild(el("th", {}, labels[i]));
        row.forEach(function (v, j) {
          var share = v / total;
          var td = el("td", { title: labels[i] + " → " + labels[j] + ": " + v }, String(v));
          var hue = i === j ? "31,119,180" : "214,39,40";
          td.style.background = "rgba(" + hue + "," + (0.08 + 0.85 * share).toFixed(3) + ")";
          if (share > 0.55) td.style.color = "#fff";
          tr.appendChild(td);
        });
        t.appendChild(tr);
      });
      c.appendChild(t);
      note = null;
    }
    var lgrid = section(ev.metric + " by sequence length", note || "Sequences grouped by length; bars: how many sequences (right axis); line: " + ev.metric + " of the bucket (left axis).");
    var buckets = ev.byLength;
    var bx = buckets.map(function (bk, i) { return i; });
    var names2 = buckets.map(function (bk) { return bk.lo === bk.hi ? String(bk.lo) : bk.lo + "–" + bk.hi; });
    lineChart(lgrid, ev.metric + " by length (with the length histogram)", "length", bx, [
      { label: "sequences", color: "#9aa5b1", values: buckets.map(function (bk) { return bk.count; }) },
      { label: ev.metric, color: TRAIN, values: buckets.map(function (bk) { return bk.value; }) },
    ], function (opts) {
      opts.scales.count = { range: function (u, min, max) { return [0, Math.max(1, max) * 1.1]; } };
      opts.scales.y = ev.metric === "accuracy" ? { range: [0, 1] } : { auto: true };
      opts.series[1].scale = "count";
      opts.series[1].fill = "rgba(154,165,177,0.45)";
      opts.series[1].paths = uPlot.paths.bars({ size: [0.8, 80] });
      opts.series[1].points = { show: false };
      opts.series[2].scale = "y";
      opts.axes = [
        { label: "sequence length", size: 40, splits: function () { return bx; }, values: function (u, vals) { return vals.map(function (v) { return names2[v] || ""; }); } },
        { scale: "y", label: ev.metric, size: 60, values: function (u, vals) { return vals.map(tick); } },
        { scale: "count", side: 1, label: "sequences", size: 56, grid: { show: false } },
      ];
      opts.scales.x = { time: false, range: [-0.6, bx.length - 0.4] };
    }, true);
  }
  document.body.dataset.rendered = "1";
})();
`;
