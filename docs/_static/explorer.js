/* The learning-rate explorer: draws runs that linreg computed when the page was built.
 *
 * Every number comes from the JSON embedded beside the figure (see docs/explorer.md); this
 * file only maps them to SVG. Plain JavaScript, no libraries, no network.
 */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var uid = 0;

  // One builder for SVG and HTML elements: attributes, optional parent and text.
  function maker(create) {
    return function (name, attrs, parent, text) {
      var node = create(name);
      Object.keys(attrs || {}).forEach(function (k) {
        node.setAttribute(k, attrs[k]);
      });
      if (text !== undefined) node.textContent = text;
      if (parent) parent.appendChild(node);
      return node;
    };
  }
  var el = maker(function (name) { return document.createElementNS(SVG, name); });
  var html = maker(function (name) { return document.createElement(name); });

  // As the seed prints a loss (4 decimals) where that says something, else 3 significant digits.
  function fmt(v) {
    if (v === null) return "not finite";
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e-4 && a < 1e4) return v.toFixed(4);
    return v.toExponential(2).replace("e+", "e");
  }

  var SUPERSCRIPT = { "-": "\u207b", 0: "\u2070", 1: "\u00b9", 2: "\u00b2", 3: "\u00b3", 4: "\u2074",
    5: "\u2075", 6: "\u2076", 7: "\u2077", 8: "\u2078", 9: "\u2079" };
  function decade(k) {
    return "10" + String(k).split("").map(function (c) { return SUPERSCRIPT[c]; }).join("");
  }

  function linear(d0, d1, r0, r1) {
    return function (v) { return r0 + ((v - d0) / (d1 - d0)) * (r1 - r0); };
  }

  function pathData(points) {
    // Breaks the line where a point is missing (not finite), instead of joining across it.
    var d = "", pen = false;
    points.forEach(function (p) {
      if (p === null) { pen = false; return; }
      d += (pen ? "L" : "M") + p[0].toFixed(2) + " " + p[1].toFixed(2);
      pen = true;
    });
    return d;
  }

  function clip(svg, box) {
    var id = "lr-explorer-clip-" + (++uid);
    var defs = el("defs", {}, svg);
    var c = el("clipPath", { id: id }, defs);
    el("rect", { x: box.x, y: box.y, width: box.w, height: box.h }, c);
    return "url(#" + id + ")";
  }

  function panel(parent, title, desc) {
    var figure = html("figure", { class: "lr-explorer-panel" }, parent);
    var id = "lr-explorer-" + (++uid);
    var svg = el("svg", { viewBox: "0 0 420 330", role: "img", "aria-labelledby": id + "-t " + id + "-d" }, figure);
    el("title", { id: id + "-t" }, svg, title);
    el("desc", { id: id + "-d" }, svg, desc);
    return svg;
  }

  function build(root) {
    var source = root.querySelector("script.lr-explorer-data");
    var data = JSON.parse(source.textContent);
    // A loss drawn on the band below the axis is float32's rounding: say so, not "0".
    function fmtLoss(v) {
      return v === 0 && data.zero_label ? data.zero_label : fmt(v);
    }
    var n = data.lrs.length, E = data.epochs;
    var bound = data.max_stable_lr, seed = data.seed_index;
    root.setAttribute("data-ready", "");

    // --- the control: a range over the runs, so every position is a run that was computed
    var controls = html("div", { class: "lr-explorer-controls" }, root);
    var sliderId = "lr-explorer-slider-" + (++uid);
    html("label", { for: sliderId }, controls, "Learning rate \u03b7");
    var slider = html("input", {
      type: "range", id: sliderId, min: "0", max: String(n - 1), step: "1", value: String(seed),
      "aria-describedby": sliderId + "-readout",
    }, controls);

    // --- marks under the slider's track: the seed's 0.07 and the stability bound. The
    // slider steps through the runs, so a learning rate sits at its run's position.
    var scale = html("div", { class: "lr-explorer-scale", "aria-hidden": "true" }, controls);
    function at(k) { return (100 * k / (n - 1)).toFixed(3) + "%"; }
    function position(lr) {
      var k = 0;
      while (k < n - 2 && data.lrs[k + 1] <= lr) k++;
      return k + (lr - data.lrs[k]) / (data.lrs[k + 1] - data.lrs[k]);
    }
    var boundAt = position(bound);
    var band = html("div", { class: "lre-unstable-band" }, scale);
    band.style.left = at(boundAt);
    band.style.right = "0";
    html("span", { class: "lre-band-label" }, band, "diverges");
    // The seed's rate, 1/lambda_max (below it, no overshoot), the fastest rate and the bound:
    // labels alternate between two rows so that neighbours do not overlap on a phone.
    [
      ["lre-seed-mark", seed, "seed " + data.lrs[seed]],
      ["lre-monotone-mark", position(data.monotone_below), "1/\u03bbmax"],
      ["lre-fastest-mark", position(data.fastest), "fastest " + data.fastest.toFixed(3)],
      ["lre-bound-mark", boundAt, "2/\u03bbmax = " + bound.toFixed(4)],
    ].forEach(function (m, k) {
      var mark = html("div", { class: "lre-mark " + m[0] + ["", " lre-row2", "", " lre-row3"][k] }, scale);
      mark.style.left = at(m[1]);
      html("span", {}, mark, m[2]);
    });

    var readout = html("p", { class: "lr-explorer-readout", id: sliderId + "-readout", "aria-live": "polite" }, controls);
    var status = html("p", { class: "lr-explorer-status", role: "status" }, root);

    var grid = html("div", { class: "lr-explorer-panels" }, root);

    // --- loss per epoch, log scale, with a band below the axis for losses of exactly 0
    var lossSvg = panel(grid, "Loss per epoch",
      "Mean squared error of each epoch, before its update, on a log scale; the seed's run (0.07) dashed.");
    var L = { x: 62, y: 12, w: 344, h: 246 };
    var lo = data.loss_decades[0], hi = data.loss_decades[1];
    var ex = linear(1, E, L.x, L.x + L.w);
    var ly = linear(lo, hi, L.y + L.h, L.y);
    var zeroY = L.y + L.h + 14;
    var lossClip = clip(lossSvg, { x: L.x - 4, y: L.y, w: L.w + 8, h: L.h + 22 });
    for (var k = lo; k <= hi; k++) {
      el("line", { x1: L.x, x2: L.x + L.w, y1: ly(k), y2: ly(k), class: "lre-grid" }, lossSvg);
      if ((hi - k) % 2 === 0) {
        el("text", { x: L.x - 6, y: ly(k) + 4, "text-anchor": "end", class: "lre-label" }, lossSvg, decade(k));
      }
    }
    el("line", { x1: L.x, x2: L.x + L.w, y1: zeroY, y2: zeroY, class: "lre-grid lre-zero" }, lossSvg);
    el("text", { x: L.x - 6, y: zeroY + 4, "text-anchor": "end", class: "lre-label" }, lossSvg, data.zero_label || "0");
    el("rect", { x: L.x, y: L.y, width: L.w, height: L.h, class: "lre-frame" }, lossSvg);
    [1, 10, 20, 30, 40].filter(function (t) { return t <= E; }).forEach(function (t) {
      el("line", { x1: ex(t), x2: ex(t), y1: L.y + L.h, y2: L.y + L.h + 4, class: "lre-axis" }, lossSvg);
      el("text", { x: ex(t), y: zeroY + 30, "text-anchor": "middle", class: "lre-label" }, lossSvg, String(t));
    });
    el("text", { x: L.x + L.w / 2, y: 326, "text-anchor": "middle", class: "lre-label lre-axis-title" }, lossSvg, "epoch");
    el("text", { x: 14, y: L.y + L.h / 2, "text-anchor": "middle", class: "lre-label lre-axis-title",
      transform: "rotate(-90 14 " + (L.y + L.h / 2) + ")" }, lossSvg, "loss (MSE, log scale)");

    function lossPoints(losses) {
      return losses.map(function (v, t) {
        if (v === null) return null;
        return [ex(t + 1), v === 0 ? zeroY : ly(Math.log10(v))];
      });
    }
    el("path", { d: pathData(lossPoints(data.losses[seed])), class: "lre-seed-line", "clip-path": lossClip }, lossSvg);
    var lossLine = el("path", { class: "lre-run-line", "clip-path": lossClip }, lossSvg);
    var lossEnd = el("circle", { r: 4, class: "lre-run-dot", "clip-path": lossClip }, lossSvg);
    var key = el("g", { class: "lre-label lre-small" }, lossSvg);
    el("line", { x1: L.x + 8, x2: L.x + 30, y1: L.y + L.h - 26, y2: L.y + L.h - 26, class: "lre-seed-line" }, key);
    el("text", { x: L.x + 36, y: L.y + L.h - 22 }, key, "the seed's \u03b7 = 0.07");
    el("line", { x1: L.x + 8, x2: L.x + 30, y1: L.y + L.h - 10, y2: L.y + L.h - 10, class: "lre-run-line" }, key);
    el("text", { x: L.x + 36, y: L.y + L.h - 6 }, key, "the \u03b7 chosen above");
    var lossNote = el("text", { x: L.x + L.w - 6, y: L.y + 16, "text-anchor": "end", class: "lre-note" }, lossSvg);

    // --- the path of (W, b) over contours of the loss, equal scales on both axes
    var pathSvg = panel(grid, "Path of (W, b)",
      "Each epoch's W and b from the start to the end of the run, over contour lines of the loss; + marks the least-squares minimum.");
    var P = { x: 62, y: 12, w: 270, h: 270 };
    var wx = linear(data.window.W[0], data.window.W[1], P.x, P.x + P.w);
    var by = linear(data.window.b[0], data.window.b[1], P.y + P.h, P.y);
    var pathClip = clip(pathSvg, P);
    data.contours.forEach(function (c) {
      var pts = c.W.map(function (w, j) { return [wx(w), by(c.b[j])]; });
      el("path", { d: pathData(pts) + "Z", class: "lre-contour", "clip-path": pathClip }, pathSvg);
    });
    el("rect", { x: P.x, y: P.y, width: P.w, height: P.h, class: "lre-frame" }, pathSvg);
    function ticks(a, b) {
      var step = Math.pow(10, Math.floor(Math.log10((b - a) / 2)));
      if ((b - a) / step > 8) step *= 2;
      var out = [];
      for (var v = Math.ceil(a / step) * step; v <= b + 1e-12; v += step) out.push(+v.toFixed(6));
      return out;
    }
    ticks(data.window.W[0], data.window.W[1]).forEach(function (v) {
      el("line", { x1: wx(v), x2: wx(v), y1: P.y + P.h, y2: P.y + P.h + 4, class: "lre-axis" }, pathSvg);
      el("text", { x: wx(v), y: P.y + P.h + 18, "text-anchor": "middle", class: "lre-label" }, pathSvg, String(v));
    });
    ticks(data.window.b[0], data.window.b[1]).forEach(function (v) {
      el("line", { x1: P.x - 4, x2: P.x, y1: by(v), y2: by(v), class: "lre-axis" }, pathSvg);
      el("text", { x: P.x - 6, y: by(v) + 4, "text-anchor": "end", class: "lre-label" }, pathSvg, String(v));
    });
    el("text", { x: P.x + P.w / 2, y: 318, "text-anchor": "middle", class: "lre-label lre-axis-title" }, pathSvg, "W");
    el("text", { x: 20, y: P.y + P.h / 2, "text-anchor": "middle", class: "lre-label lre-axis-title" }, pathSvg, "b");
    var mx = wx(data.minimum.W), my = by(data.minimum.b);
    el("path", { d: "M" + (mx - 6) + " " + my + "h12M" + mx + " " + (my - 6) + "v12", class: "lre-minimum" }, pathSvg);
    var x0 = wx(data.W[seed][0]), y0 = by(data.b[seed][0]);
    el("circle", { cx: x0, cy: y0, r: 4, class: "lre-start" }, pathSvg);
    el("text", { x: x0 + 7, y: y0 + 4, class: "lre-label" }, pathSvg, "start");
    var pathLine = el("path", { class: "lre-run-line", "clip-path": pathClip }, pathSvg);
    var pathDots = el("g", { class: "lre-run-dots", "clip-path": pathClip }, pathSvg);
    var pathNote = el("text", { x: P.x + P.w - 6, y: P.y + 16, "text-anchor": "end", class: "lre-note" }, pathSvg);
    var legend = el("text", { x: P.x + P.w + 8, y: P.y + 10, class: "lre-label lre-small" }, pathSvg);
    el("tspan", { x: P.x + P.w + 8, dy: 0 }, legend, "contours:");
    el("tspan", { x: P.x + P.w + 8, dy: 14 }, legend, "each ring");
    el("tspan", { x: P.x + P.w + 8, dy: 14 }, legend, "halves the");
    el("tspan", { x: P.x + P.w + 8, dy: 14 }, legend, "distance");

    function firstOutside(points, box) {
      for (var t = 0; t < points.length; t++) {
        var p = points[t];
        if (p === null || p[0] < box.x || p[0] > box.x + box.w || p[1] < box.y || p[1] > box.y + box.h) return t;
      }
      return -1;
    }

    function draw() {
      var i = Number(slider.value);
      var lr = data.lrs[i], losses = data.losses[i], W = data.W[i], b = data.b[i];
      var final = losses[E - 1], ratio = lr / bound, factor = 1 - 2 * lr / bound;  // 1 - lr lambda_max
      var bad = data.regime[i] === "diverging" || data.diverged[i];

      var lrText = "\u03b7 = " + lr.toFixed(4) + " (" + ratio.toFixed(3) + " \u00d7 2/\u03bbmax)";
      slider.setAttribute("aria-valuetext", lr.toFixed(4) + ", " + ratio.toFixed(3) + " times the stability bound"
        + (i === seed ? ", the seed's learning rate" : "") + (bad ? ", diverges" : ""));
      readout.textContent = "";
      html("span", { class: "lre-lr" }, readout, lrText + (i === seed ? ", the seed's" : ""));
      // Spaces between the items, so that read as text they stay apart.
      readout.appendChild(document.createTextNode(" "));
      var item = html("span", {}, readout, "final loss ");
      html("output", { class: "lre-final-loss", "data-value": String(final) }, item, fmtLoss(final));
      readout.appendChild(document.createTextNode(" "));
      html("span", {}, readout, "W " + fmt(W[E]));
      readout.appendChild(document.createTextNode(" "));
      html("span", {}, readout, "b " + fmt(b[E]));

      var pts = lossPoints(losses);
      lossLine.setAttribute("d", pathData(pts));
      var last = pts[E - 1];
      lossEnd.style.display = last ? "" : "none";
      if (last) { lossEnd.setAttribute("cx", last[0]); lossEnd.setAttribute("cy", last[1]); }

      var wb = W.map(function (w, t) { return w === null || b[t] === null ? null : [wx(w), by(b[t])]; });
      pathLine.setAttribute("d", pathData(wb));
      pathDots.textContent = "";
      wb.forEach(function (p) { if (p) el("circle", { cx: p[0], cy: p[1], r: 2 }, pathDots); });

      var above = -1;
      for (var t = 0; t < E && above < 0; t++) if (pts[t] && pts[t][1] < L.y) above = t;
      var leaves = firstOutside(wb, P);
      var overflow = losses.indexOf(null);
      lossNote.textContent = above >= 0 ? "\u2191 off the chart from epoch " + (above + 1) : "";
      pathNote.textContent = leaves >= 0 ? "leaves the plot after step " + leaves : "";

      root.classList.toggle("is-diverging", bad);
      if (bad) {
        var msg = "Diverges: \u03b7 = " + lr.toFixed(4) + " is above 2/\u03bbmax = " + bound.toFixed(4)
          + ". Each step multiplies the error along the steepest direction by |1 \u2212 \u03b7\u03bbmax| = "
          + Math.abs(factor).toFixed(3) + " > 1, so that part of the error grows every epoch: the loss went from "
          + fmtLoss(losses[0]) + " at epoch 1 to " + fmtLoss(final) + " at epoch " + E + ".";
        if (overflow >= 0) msg += " It overflowed at epoch " + (overflow + 1) + "; nothing after that is drawn.";
        else if (above >= 0 || leaves >= 0) {
          var what = above >= 0 && leaves >= 0 ? "The curve and the path leave their plots" : above >= 0 ? "The curve leaves its plot" : "The path leaves its plot";
          msg += " " + what + " rather than squash the stable runs.";
        }
        status.textContent = msg;
      } else if (data.regime[i] === "oscillating") {
        status.textContent = "Converges, zig-zagging: \u03b7 is above 1/\u03bbmax = " + data.monotone_below.toFixed(4)
          + ", so each step overshoots the valley along the steepest direction (factor 1 \u2212 \u03b7\u03bbmax = "
          + factor.toFixed(3) + "), yet the overshoot shrinks.";
      } else {
        status.textContent = "Converges without overshooting: \u03b7 is below 1/\u03bbmax = "
          + data.monotone_below.toFixed(4) + "; the smaller \u03b7, the slower the crawl.";
      }
    }

    slider.addEventListener("input", draw);
    draw();
  }

  function init() {
    document.querySelectorAll(".lr-explorer:not([data-ready])").forEach(build);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
