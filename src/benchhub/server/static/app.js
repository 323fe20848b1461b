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
  var chart = document.getElementById("chart");
  if (chart) {
    window.addEventListener("load", function () {
      if (!window.Plotly) return;
      var figure = JSON.parse(chart.getAttribute("data-figure"));
      window.Plotly.newPlot(chart, figure.data, figure.layout, { responsive: true, displaylogo: false });
    });
  }
})();
