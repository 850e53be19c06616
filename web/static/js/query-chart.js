// A YASR plugin that draws a numeric SELECT result as a bar chart in SVG, offline: no chart
// library and no remote service. One bar per row (at most MAX_BARS), labelled by the first
// column that is not numeric; the numeric column is chosen with a <select>. The chart has a
// text alternative (<title>, <desc>) and the same numbers are in the Table view.
(function () {
  "use strict";
  if (typeof Yasr === "undefined") {
    return;
  }
  var SVG = "http://www.w3.org/2000/svg";
  var MAX_BARS = 60;
  var NUMERIC = /#(integer|decimal|double|float|long|int|short|byte|nonNegativeInteger|positiveInteger|negativeInteger|nonPositiveInteger|unsignedLong|unsignedInt|unsignedShort|unsignedByte)$/;

  function isNumber(binding) {
    return !!binding && binding.type !== "uri" && binding.type !== "bnode" &&
      !!binding.datatype && NUMERIC.test(binding.datatype) && isFinite(parseFloat(binding.value));
  }

  // The variables whose every bound value is a number (and at least one is bound).
  function numericVariables(results) {
    var vars = results.getVariables();
    var rows = results.getBindings();
    return vars.filter(function (v) {
      var seen = 0;
      for (var i = 0; i < rows.length; i++) {
        if (rows[i][v] === undefined) {
          continue;
        }
        if (!isNumber(rows[i][v])) {
          return false;
        }
        seen++;
      }
      return seen > 0;
    });
  }

  function shortLabel(binding, prefixes) {
    if (!binding) {
      return "(none)";
    }
    if (binding.type === "uri") {
      for (var name in prefixes) {
        if (binding.value.indexOf(prefixes[name]) === 0) {
          return name + ":" + binding.value.substring(prefixes[name].length);
        }
      }
    }
    return binding.value;
  }

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) {
      node.setAttribute(key, attrs[key]);
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function format(value) {
    return Math.abs(value) >= 1000 ? value.toLocaleString("en-GB") : String(Math.round(value * 1000) / 1000);
  }

  function Chart(yasr) {
    this.yasr = yasr;
    this.priority = 5;
    this.label = "Chart";
    this.selected = null;
  }

  Chart.prototype.canHandleResults = function () {
    var results = this.yasr.results;
    if (!results || results.getType() !== "json" || results.getBoolean() !== undefined) {
      return false;
    }
    return results.getBindings().length > 0 && numericVariables(results).length > 0;
  };

  Chart.prototype.getIcon = function () {
    var icon = document.createElement("span");
    icon.className = "chart-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "▮▮";
    return icon;
  };

  Chart.prototype.draw = function () {
    var self = this;
    var results = this.yasr.results;
    var numeric = numericVariables(results);
    var vars = results.getVariables();
    var labelVar = vars.filter(function (v) { return numeric.indexOf(v) < 0; })[0];
    var valueVar = numeric.indexOf(this.selected) >= 0 ? this.selected : numeric[0];
    var prefixes = this.yasr.getPrefixes();
    var rows = results.getBindings().filter(function (r) { return isNumber(r[valueVar]); });
    var shown = rows.slice(0, MAX_BARS);

    var figure = document.createElement("figure");
    figure.className = "query-chart";
    if (numeric.length > 1) {
      var choose = document.createElement("p");
      var label = document.createElement("label");
      label.setAttribute("for", "chart-variable");
      label.textContent = "Value to chart: ";
      var select = document.createElement("select");
      select.id = "chart-variable";
      numeric.forEach(function (v) {
        var option = document.createElement("option");
        option.value = v;
        option.textContent = "?" + v;
        option.selected = v === valueVar;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        self.selected = select.value;
        self.yasr.draw();
      });
      choose.appendChild(label);
      choose.appendChild(select);
      figure.appendChild(choose);
    }

    var values = shown.map(function (r) { return parseFloat(r[valueVar].value); });
    var names = shown.map(function (r, i) { return labelVar ? shortLabel(r[labelVar], prefixes) : "row " + (i + 1); });
    var min = Math.min(0, Math.min.apply(null, values));
    var max = Math.max(0, Math.max.apply(null, values));
    var span = max - min || 1;
    var labelWidth = 260, plotWidth = 420, valueWidth = 90, barHeight = 22, gap = 6, top = 8;
    var width = labelWidth + plotWidth + valueWidth;
    var height = top * 2 + shown.length * (barHeight + gap);
    var zero = labelWidth + ((0 - min) / span) * plotWidth;
    var titleId = "chart-title", descId = "chart-desc";
    var svg = el("svg", {
      viewBox: "0 0 " + width + " " + height,
      role: "img",
      "aria-labelledby": titleId + " " + descId,
      class: "query-chart-svg"
    });
    var heading = "Bar chart of ?" + valueVar + (labelVar ? " by ?" + labelVar : " by row");
    svg.appendChild(el("title", { id: titleId }, heading));
    var low = values.indexOf(Math.min.apply(null, values));
    var high = values.indexOf(Math.max.apply(null, values));
    svg.appendChild(el("desc", { id: descId },
      shown.length + " bars; the highest is " + names[high] + " (" + format(values[high]) +
      "), the lowest " + names[low] + " (" + format(values[low]) + ")."));
    shown.forEach(function (row, i) {
      var y = top + i * (barHeight + gap);
      var x = labelWidth + ((Math.min(0, values[i]) - min) / span) * plotWidth;
      var w = Math.max(1, (Math.abs(values[i]) / span) * plotWidth);
      var name = names[i].length > 38 ? names[i].slice(0, 37) + "…" : names[i];
      svg.appendChild(el("text", { x: labelWidth - 8, y: y + barHeight * 0.7, "text-anchor": "end", class: "chart-label" }, name));
      svg.appendChild(el("rect", { x: x, y: y, width: w, height: barHeight, class: values[i] < 0 ? "bar negative" : "bar" }));
      svg.appendChild(el("text", { x: labelWidth + plotWidth + 6, y: y + barHeight * 0.7, class: "chart-value" }, format(values[i])));
    });
    svg.appendChild(el("line", { x1: zero, x2: zero, y1: 0, y2: height, class: "chart-axis" }));
    figure.appendChild(svg);
    var caption = document.createElement("figcaption");
    caption.textContent = heading + (rows.length > shown.length ? "; the first " + shown.length + " of " + rows.length + " rows" : "") +
      ". The same numbers are in the Table view.";
    figure.appendChild(caption);
    this.yasr.resultsEl.appendChild(figure);
  };

  Yasr.registerPlugin("chart", Chart);
})();
