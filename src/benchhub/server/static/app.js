// Sortable tables (buttons in the headers, so a keyboard works too) and the leaderboard chart.
(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-value");
    if (raw === null) raw = cell.textContent.trim();
    var number = parseFloat(raw);
    return raw !== "" && !isNaN(number) && isFinite(number) ? number : raw.toLowerCase();
  }
  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      if (x === "" && y !== "") return 1;
      if (y === "" && x !== "") return -1;
      if (x < y) return ascending ? -1 : 1;
      if (x > y) return ascending ? 1 : -1;
      return 0;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var button = header.querySelector("button");
      if (!button) {
        button = document.createElement("button");
        button.type = "button";
        button.textContent = header.textContent;
        header.textContent = "";
        header.appendChild(button);
      }
      button.addEventListener("click", function () { sortBy(table, index, header); });
    });
  });
  // Heatmaps: each cell shaded by its share of its row (data-share), the number always written in it.
  document.querySelectorAll("table.heatmap td[data-share]").forEach(function (cell) {
    var share = parseFloat(cell.getAttribute("data-share")) || 0;
    cell.style.background = "rgba(36, 86, 199, " + (share > 0 ? 0.08 + 0.72 * share : 0) + ")";
    if (share > 0.55) cell.style.color = "#fff";
  });
  // Leaderboard columns: each shows where its data-show says (phone, wide) until the reader chooses in the
  // chooser; the choice is remembered in this browser. Notes about hidden columns hide with them.
  function remembered(key) {
    try { return JSON.parse(window.localStorage.getItem(key)) || {}; } catch (e) { return {}; }
  }
  function remember(key, choices) {
    try { window.localStorage.setItem(key, JSON.stringify(choices)); } catch (e) { /* storage off: for this page only */ }
  }
  function setupColumns(table, tools) {
    var key = "benchhub.columns." + table.getAttribute("data-columns-key");
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var choices = tools.querySelector("#column-chooser .choices");
    var phone = window.matchMedia("(max-width: 40rem)");
    var chosen = remembered(key);
    function shown(header) {
      var column = header.getAttribute("data-column");
      if (column === "model") return true;
      if (Object.prototype.hasOwnProperty.call(chosen, column)) return chosen[column];
      return (header.getAttribute("data-show") || "").split(" ").indexOf(phone.matches ? "phone" : "wide") >= 0;
    }
    function apply() {
      var visible = {};
      headers.forEach(function (header) { visible[header.getAttribute("data-column")] = shown(header); });
      table.querySelectorAll("[data-column]").forEach(function (cell) { cell.hidden = !visible[cell.getAttribute("data-column")]; });
      document.querySelectorAll(".note[data-columns]").forEach(function (note) {
        note.hidden = !note.getAttribute("data-columns").split(" ").some(function (column) { return visible[column]; });
      });
      choices.querySelectorAll("input").forEach(function (box) { box.checked = visible[box.value]; });
    }
    headers.forEach(function (header) {
      var column = header.getAttribute("data-column");
      if (column === "model") return;
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.value = column;
      box.addEventListener("change", function () { chosen[column] = box.checked; remember(key, chosen); apply(); });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + header.textContent.trim()));
      choices.appendChild(label);
    });
    tools.querySelector("#column-chooser .reset").addEventListener("click", function () {
      chosen = {};
      remember(key, chosen);
      apply();
    });
    if (phone.addEventListener) phone.addEventListener("change", apply);
    apply();
  }
  function setupFilter(table, tools) {
    var text = tools.querySelector("#model-filter"), kind = tools.querySelector("#kind-filter");
    var count = tools.querySelector("#filter-count");
    function apply() {
      var needle = text.value.trim().toLowerCase(), wanted = kind.value, rows = table.tBodies[0].rows, matching = 0;
      Array.prototype.forEach.call(rows, function (row) {
        var keep = (!needle || row.getAttribute("data-model").indexOf(needle) >= 0) &&
                   (!wanted || row.getAttribute("data-kind") === wanted);
        row.hidden = !keep;
        matching += keep ? 1 : 0;
      });
      count.textContent = needle || wanted ? matching + " of " + rows.length + " rows" : "";
    }
    text.addEventListener("input", apply);
    kind.addEventListener("change", apply);
  }
  var board = document.getElementById("leaderboard"), tools = document.getElementById("board-tools");
  if (board && tools) {
    setupColumns(board, tools);
    setupFilter(board, tools);
    tools.hidden = false;
  }
  // Dynascore weights: a slider writes its weight into the form's `weights` field (other columns keep theirs,
  // exactly as typed) and, once let go, reloads the page with it: the URL then holds the ranking's weights.
  var weightsForm = document.getElementById("weights-form");
  if (weightsForm) {
    var weightsText = weightsForm.querySelector("#weights");
    var parseWeights = function (value) {
      var weights = {}, order = [];
      value.split(",").forEach(function (item) {
        var parts = item.split(":");
        var name = parts[0].trim();
        if (parts.length !== 2 || !name) return;
        if (!Object.prototype.hasOwnProperty.call(weights, name)) order.push(name);
        weights[name] = parts[1].trim();
      });
      return { weights: weights, order: order };
    };
    var sliders = weightsForm.querySelectorAll("input[data-weight]");
    var fromSliders = function () {  // an empty field starts from what the sliders show (the metric alone at first)
      return Array.prototype.map.call(sliders, function (other) { return other.getAttribute("data-weight") + ":" + other.value; }).join(",");
    };
    sliders.forEach(function (slider) {
      var output = weightsForm.querySelector('output[for="' + slider.id + '"]');
      slider.addEventListener("input", function () {
        var parsed = parseWeights(weightsText.value.trim() || fromSliders()), name = slider.getAttribute("data-weight");
        if (!Object.prototype.hasOwnProperty.call(parsed.weights, name)) parsed.order.push(name);
        parsed.weights[name] = slider.value;
        if (output) output.textContent = slider.value;
        weightsText.value = parsed.order.filter(function (key) { return parseFloat(parsed.weights[key]) !== 0; })
          .map(function (key) { return key + ":" + parsed.weights[key]; }).join(",");
      });
      slider.addEventListener("change", function () { weightsForm.submit(); });
    });
  }
  var chart = document.getElementById("chart");
  if (chart) {
    window.addEventListener("load", function () {
      if (!window.Plotly) return;
      var figure = JSON.parse(chart.getAttribute("data-figure"));
      window.Plotly.newPlot(chart, figure.data, figure.layout, { responsive: true, displaylogo: false });
    });
  }
})();
