// Progressive enhancement of the query editor: CodeMirror 5 with SPARQL highlighting.
// Without JavaScript the plain textarea works the same. Tab and Shift-Tab keep moving the
// keyboard focus (so the editor is not a keyboard trap); Ctrl/Cmd+Enter runs the query.
(function () {
  "use strict";
  var area = document.getElementById("query");
  if (!area || typeof CodeMirror === "undefined") {
    return;
  }
  var form = document.getElementById("query-form");
  var editor = CodeMirror.fromTextArea(area, {
    mode: "application/sparql-query",
    lineNumbers: true,
    indentUnit: 2,
    viewportMargin: Infinity,
    extraKeys: {
      "Tab": false,
      "Shift-Tab": false,
      "Ctrl-Enter": function () { editor.save(); form.submit(); },
      "Cmd-Enter": function () { editor.save(); form.submit(); }
    }
  });
  var input = editor.getInputField();
  input.setAttribute("aria-label", "SPARQL query");
  if (area.getAttribute("aria-describedby")) {
    input.setAttribute("aria-describedby", area.getAttribute("aria-describedby"));
  }
  editor.getWrapperElement().classList.add("sparql-editor");
})();
