// The forces page without reloading: filter the table as the question or grade changes.
// Without this script the same form is a plain GET and the server hides the rows.
(function () {
  "use strict";
  var form = document.getElementById("force-filters");
  var table = document.getElementById("forces-table");
  if (!form || !table) {
    return;
  }
  var questionSelect = form.elements.namedItem("question");
  var gradeSelect = form.elements.namedItem("grade");
  var count = document.getElementById("force-count");
  var questions = Array.prototype.map.call(
    table.querySelectorAll("thead th[data-question]"),
    function (th) { return th.getAttribute("data-question"); }
  );

  function matches(row, question, grade) {
    if (!grade) {
      return true;
    }
    var asked = question ? [question] : questions;
    return asked.some(function (q) { return row.getAttribute("data-" + q) === grade; });
  }

  function apply() {
    var question = questionSelect.value;
    var grade = gradeSelect.value;
    var rows = table.tBodies[0].rows;
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var visible = matches(row, question, grade);
      row.hidden = !visible;
      if (visible) {
        shown += 1;
      }
    });
    Array.prototype.forEach.call(table.querySelectorAll("[data-question]"), function (cell) {
      cell.classList.toggle("focus", cell.getAttribute("data-question") === question);
    });
    count.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = String(shown);
    count.appendChild(strong);
    count.appendChild(document.createTextNode(" of " + rows.length + " forces shown."));
    var params = new URLSearchParams();
    if (question) {
      params.set("question", question);
    }
    if (grade) {
      params.set("grade", grade);
    }
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  questionSelect.addEventListener("change", apply);
  gradeSelect.addEventListener("change", apply);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    apply();
  });
})();
