// The query page with JavaScript: YASQE (editor) and YASR (results) from the YASGUI bundle,
// configured to stay on this server. Completion comes from /query/terms.json (the dataset's
// own prefixes, classes, properties and concepts), never from prefix.cc or LOV; queries go to
// this app's /sparql; the results table keeps the query's projection order. Errors are shown
// at the offending line; terms the dataset does not have (X-Unknown-Terms) are named with the
// closest existing term. Without JavaScript the server-side form does the same work.
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var area = document.getElementById("query");
  if (!form || !area || typeof Yasqe === "undefined" || typeof Yasr === "undefined") {
    return;
  }
  var endpoint = form.getAttribute("data-endpoint");
  if (!endpoint) {
    return; // no endpoint in this app: the server-side form is all there is
  }
  var endpointUrl = new URL(endpoint, window.location.href).href;
  var maxLength = parseInt(form.getAttribute("data-max-length"), 10) || 131072;
  var base = form.getAttribute("data-base");
  var pageUrl = new URL(form.getAttribute("data-page"), window.location.href);
  var messages = document.getElementById("query-messages");
  var liveResults = document.getElementById("live-results");
  var runButton = document.getElementById("run-query");
  var PNAME = /^([A-Za-z][\w.-]*)?:([\w.-]*)$/;
  var known = { prefixes: {}, terms: [], byCurie: {} };

  // -- the completion data --------------------------------------------------------------
  var termsLoaded = fetch(form.getAttribute("data-terms"), { headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : { prefixes: {}, terms: [] }; })
    .then(function (doc) {
      known.prefixes = doc.prefixes || {};
      known.terms = doc.terms || [];
      known.terms.forEach(function (t) { known.byCurie[t.curie] = t; });
      return known;
    });

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function compact(iri) {
    var best = null;
    for (var name in known.prefixes) {
      var ns = known.prefixes[name];
      if (iri.indexOf(ns) === 0 && (!best || ns.length > best[1].length)) {
        best = [name, ns];
      }
    }
    if (!best) {
      return null;
    }
    var local = iri.substring(best[1].length);
    return /^[\w.-]*$/.test(local) ? best[0] + ":" + local : null;
  }

  function localHref(iri) {
    if (base && iri.indexOf(base) === 0) {
      var rest = iri.substring(base.length);
      var area = rest.split("/")[0];
      if ((area === "id" || area === "def") && rest.indexOf("#") < 0 && rest.indexOf("?") < 0) {
        return pageUrl.pathname.replace(new RegExp("/query$"), "") + "/" + (area === "id" ? "doc" : "def") + rest.substring(area.length);
      }
      return pageUrl.pathname.replace(new RegExp("/query$"), "") + "/resource?iri=" + encodeURIComponent(iri);
    }
    return iri;
  }

  Yasqe.registerAutocompleter({
    name: "hmicTerms",
    bulk: true,
    autoShow: true,
    persistenceId: null,
    isValidCompletionPosition: function (yasqe) {
      var cursor = yasqe.getDoc().getCursor();
      var token = yasqe.getTokenAt(cursor);
      if (!PNAME.test(token.string) || token.string.indexOf(":") < 0) {
        return false;
      }
      return !/^\s*(PREFIX|BASE)\b/i.test(yasqe.getDoc().getLine(cursor.line));
    },
    get: function () {
      return termsLoaded.then(function (k) {
        return Object.keys(k.prefixes).map(function (p) { return p + ":"; })
          .concat(k.terms.map(function (t) { return t.curie; }));
      });
    },
    postprocessHints: function (yasqe, hints) {
      return hints.map(function (hint) {
        var term = known.byCurie[hint.text];
        if (term) {
          hint.displayText = term.curie + (term.label ? " — " + term.label : "") + " (" + term.kind + ")";
        }
        return hint;
      });
    }
  }, false);

  // -- the editor ---------------------------------------------------------------------------
  var holder = document.createElement("div");
  holder.className = "yasqe-holder";
  area.parentNode.insertBefore(holder, area);
  area.hidden = true;
  var yasqe = new Yasqe(holder, {
    value: area.value,
    persistenceId: null,
    showQueryButton: false,
    createShareableLink: null,
    resizeable: false,
    editorHeight: "auto",
    viewportMargin: Infinity,
    autocompleters: ["hmicTerms", "variables"],
    extraKeys: {
      Tab: false,
      "Shift-Tab": false,
      "Ctrl-Enter": function () { run(); },
      "Cmd-Enter": function () { run(); },
      "Ctrl-Space": function () { yasqe.autocomplete(); }
    }
  });
  var input = yasqe.getInputField();
  input.setAttribute("aria-labelledby", "query-label");
  input.setAttribute("aria-describedby", "query-messages");
  yasqe.getWrapperElement().classList.add("sparql-editor");
  var serverProblem = document.getElementById("query-problem");
  if (serverProblem) {
    input.setAttribute("aria-describedby", "query-problem query-messages");
  }

  // -- messages -----------------------------------------------------------------------------
  var marks = [];
  function clearMarks() {
    marks.forEach(function (m) {
      if (m.line !== undefined) {
        yasqe.removeLineClass(m.line, "background", "query-error-line");
      } else {
        m.clear();
      }
    });
    marks = [];
  }

  function say(kind, html) {
    var box = document.createElement("div");
    box.className = "query-message " + kind;
    if (kind.indexOf("error") === 0) {
      box.setAttribute("role", "alert");
    }
    box.innerHTML = html;
    messages.appendChild(box);
    return box;
  }

  function clearMessages(keepCompletion) {
    Array.prototype.slice.call(messages.children).forEach(function (child) {
      if (!keepCompletion || !child.classList.contains("completion")) {
        child.remove();
      }
    });
    if (serverProblem) {
      serverProblem.remove();
      serverProblem = null;
    }
  }

  function showError(message, line, column, hint) {
    var text = yasqe.getValue();
    var lines = text.split("\n");
    if (!line) {
      var found = /\bline (\d+)(?:,? column (\d+))?/i.exec(message) || /\bat (\d+):(\d+)/.exec(message);
      if (found) {
        line = parseInt(found[1], 10);
        column = found[2] ? parseInt(found[2], 10) : null;
      }
    }
    var html = "<p><strong>The query could not run:</strong> " + esc(message) + "</p>";
    if (hint && message.indexOf(hint) < 0) {
      html += "<p class=\"hint\">Hint: " + esc(hint) + "</p>";
    }
    if (line && line >= 1 && line <= lines.length) {
      var caret = column ? "\n" + " ".repeat(String(line).length + 7 + column - 1) + "^" : "";
      html += "<pre class=\"problem-line\">line " + line + ": " + esc(lines[line - 1]) + caret + "</pre>";
      yasqe.addLineClass(line - 1, "background", "query-error-line");
      marks.push({ line: line - 1 });
      if (column) {
        var ch = Math.max(0, column - 1);
        marks.push(yasqe.getDoc().markText({ line: line - 1, ch: ch }, { line: line - 1, ch: ch + 1 }, { className: "query-error-at" }));
      }
      yasqe.scrollIntoView({ line: line - 1, ch: 0 }, 80);
    }
    say("error", html).id = "query-problem";
    liveResults.hidden = true;
  }

  function unknownTermsNote(header) {
    var entries = [];
    var pattern = /<([^>]*)>(?:\s*;\s*suggestion=<([^>]*)>)?/g;
    var m;
    while ((m = pattern.exec(header)) !== null) {
      entries.push({ iri: m[1], suggestion: m[2] });
    }
    if (!entries.length) {
      return;
    }
    var items = entries.map(function (e) {
      var name = compact(e.iri) || "<" + e.iri + ">";
      var text = "<code>" + esc(name) + "</code> is not in the dataset";
      if (e.suggestion) {
        var near = compact(e.suggestion) || "<" + e.suggestion + ">";
        text += "; the closest existing term is <a href=\"" + esc(localHref(e.suggestion)) + "\"><code>" + esc(near) + "</code></a>";
      }
      return "<li>" + text + "</li>";
    }).join("");
    say("note unknown-terms", "<p><strong>Check the names:</strong> the query uses " +
      (entries.length === 1 ? "a term" : entries.length + " terms") +
      " of the project's namespaces that the dataset does not have, so an empty answer here does not mean “none”.</p><ul>" + items + "</ul>");
  }

  // What a query is once its comments and PREFIX/BASE lines are gone.
  function queryBody(text) {
    return text.replace(/#[^\n]*/g, "")
      .replace(/^\s*(PREFIX\s+[\w.-]*:\s*<[^>]*>|BASE\s*<[^>]*>)/gim, "")
      .trim();
  }

  // -- completion that finds nothing --------------------------------------------------------
  function checkCompletion() {
    Array.prototype.slice.call(messages.querySelectorAll(".completion")).forEach(function (c) { c.remove(); });
    var cursor = yasqe.getDoc().getCursor();
    var token = yasqe.getTokenAt(cursor);
    var found = PNAME.exec(token.string);
    if (!found || token.string.indexOf(":") < 0 || /^\s*(PREFIX|BASE)\b/i.test(yasqe.getDoc().getLine(cursor.line))) {
      return;
    }
    var prefix = found[1] || "";
    var declared = yasqe.getPrefixesFromQuery();
    if (!(prefix in known.prefixes) && !(prefix in declared)) {
      say("note completion", "<p>No completion for <code>" + esc(prefix) + ":</code>: it is not one of the project's prefixes and the query does not declare it. Known prefixes: " +
        Object.keys(known.prefixes).map(function (p) { return "<code>" + esc(p) + ":</code>"; }).join(" ") + ".</p>");
      return;
    }
    if (!(prefix in known.prefixes)) {
      return; // a prefix the query declares itself: nothing to check against
    }
    var matches = known.terms.filter(function (t) { return t.curie.indexOf(token.string) === 0; });
    if (!matches.length && found[2]) {
      var offered = known.terms.filter(function (t) { return t.curie.indexOf(prefix + ":") === 0; });
      var close = offered.filter(function (t) {
        return t.curie.toLowerCase().indexOf(token.string.toLowerCase().slice(0, prefix.length + 3)) === 0;
      }).slice(0, 5);
      say("note completion", "<p>No class, property or concept of the dataset is named <code>" + esc(token.string) +
        "…</code>" + (close.length ? "; names that start alike: " + close.map(function (t) { return "<code>" + esc(t.curie) + "</code>"; }).join(", ") : "") + ".</p>");
    }
  }
  var completionTimer = null;
  yasqe.on("change", function () {
    clearTimeout(completionTimer);
    completionTimer = setTimeout(function () { termsLoaded.then(checkCompletion); }, 250);
  });
  // A paste (or any edit) that would take the query past the endpoint's limit is refused
  // with a message, before the editor has to lay out a megabyte of text.
  yasqe.on("beforeChange", function (cm, change) {
    if (!change.update) {
      return;
    }
    var added = change.text.join("\n").length;
    var size = cm.getDoc().getValue().length + added - cm.getDoc().getRange(change.from, change.to).length;
    if (size <= maxLength) {
      return;
    }
    change.cancel();
    Array.prototype.slice.call(messages.querySelectorAll(".too-long")).forEach(function (c) { c.remove(); });
    say("error too-long", "<p><strong>The query would be too long:</strong> that " + (change.origin === "paste" ? "paste" : "edit") +
      " makes it " + size.toLocaleString("en-GB") + " characters, and the endpoint accepts at most " +
      maxLength.toLocaleString("en-GB") + ", so it was not made. Shorten the text (for many values, query them in parts).</p>");
  });

  // -- results ------------------------------------------------------------------------------
  Yasr.plugins.table.prototype.getUriLinkFromBinding = function (binding) {
    var iri = binding.value;
    return "<a class=\"iri\" href=\"" + esc(localHref(iri)) + "\" title=\"" + esc(iri) + "\">" + esc(compact(iri) || "<" + iri + ">") + "</a>";
  };
  // Literals as a reader wants them: numbers and plain strings bare, a language as a tag,
  // other datatypes named (the Response view keeps the raw JSON).
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var BARE = /^(integer|decimal|double|float|long|int|short|byte|string|nonNegativeInteger|positiveInteger)$/;
  Yasr.plugins.table.prototype.formatLiteral = function (binding) {
    var value = esc(binding.value);
    if (binding["xml:lang"]) {
      return value + "<sup>@" + esc(binding["xml:lang"]) + "</sup>";
    }
    var type = binding.datatype || "";
    if (!type || (type.indexOf(XSD) === 0 && BARE.test(type.substring(XSD.length)))) {
      return value;
    }
    return value + "<sup>^^" + esc(compact(type) || "<" + type + ">") + "</sup>";
  };
  var yasr = new Yasr(document.getElementById("yasr"), {
    persistenceId: null,
    prefixes: function () { return known.prefixes; },
    pluginOrder: ["table", "chart", "boolean", "response"],
    defaultPlugin: "table",
    plugins: { error: { enabled: false } }
  });

  // YASR's own controls get accessible names where it draws none.
  function nameControls() {
    var root = document.getElementById("yasr");
    Array.prototype.slice.call(root.querySelectorAll("select, input")).forEach(function (control) {
      if (control.id === "chart-variable" || control.getAttribute("aria-label") || control.labels && control.labels.length) {
        return;
      }
      var near = control.parentNode && control.parentNode.textContent.trim();
      control.setAttribute("aria-label", control.getAttribute("placeholder") || near || control.type);
    });
  }
  yasr.on("drawn", nameControls);

  // SELECT * lists its columns in the order the variables first appear in the query.
  function projectionOrder(text, vars) {
    if (!/\bSELECT\s+(DISTINCT\s+|REDUCED\s+)?\*/i.test(text)) {
      return vars;
    }
    var body = queryBody(text);
    var position = {};
    vars.forEach(function (v) {
      var m = new RegExp("[?$]" + v.replace(/[^\w]/g, "") + "(?![\\w])").exec(body);
      position[v] = m ? m.index : Infinity;
    });
    return vars.slice().sort(function (a, b) { return position[a] - position[b]; });
  }

  function updateLinks(text) {
    var link = new URL(pageUrl.href);
    link.searchParams.set("query", text);
    if (text.length <= 8000) {
      window.history.replaceState(null, "", link.pathname + link.search);
    }
    var permalink = document.getElementById("permalink");
    if (permalink) {
      permalink.href = link.href;
    }
    Array.prototype.slice.call(document.querySelectorAll("a.download")).forEach(function (a) {
      var fmt = new URL(a.href).searchParams.get("format");
      var target = new URL(link.href);
      target.searchParams.set("format", fmt);
      a.href = target.href;
    });
  }

  function snippets(text) {
    var heredoc = "SPARQL";
    while (text.split("\n").indexOf(heredoc) >= 0) {
      heredoc += "_END";
    }
    document.getElementById("snippet-curl").textContent =
      "curl -s " + endpointUrl + " -H 'Accept: text/csv' --data-urlencode query@- <<'" + heredoc + "'\n" + text + "\n" + heredoc;
    var python = text.indexOf('"""') < 0 && text.slice(-1) !== '"' && text.slice(-1) !== "\\"
      ? 'r"""' + text + '"""' : JSON.stringify(text);
    document.getElementById("snippet-python").textContent =
      "from SPARQLWrapper import SPARQLWrapper, CSV\n\nsparql = SPARQLWrapper(\"" + endpointUrl + "\")\n" +
      "sparql.setMethod(\"POST\")\nsparql.setQuery(" + python + ")\nsparql.setReturnFormat(CSV)\n" +
      "print(sparql.query().convert().decode(\"utf-8\"))";
    var dashes = "-";
    while (text.indexOf(")" + dashes + '"') >= 0) {
      dashes += "-";
    }
    document.getElementById("snippet-r").textContent =
      "library(httr)\n\nquery <- r\"" + dashes + "(" + text + ")" + dashes + "\"\n" +
      "response <- POST(\"" + endpointUrl + "\", body = list(query = query), encode = \"form\",\n" +
      "                 accept(\"text/csv\"))\nstop_for_status(response)\n" +
      "results <- read.csv(text = content(response, as = \"text\", encoding = \"UTF-8\"))\nprint(results)";
  }

  var running = null;
  function run() {
    var text = yasqe.getValue();
    clearMessages(false);
    clearMarks();
    snippets(text);
    if (!queryBody(text)) {
      say("error", "<p><strong>The query is empty.</strong> Write a SELECT, ASK, CONSTRUCT or DESCRIBE query, or pick an example.</p>");
      liveResults.hidden = true;
      return;
    }
    if (text.length > maxLength) {
      say("error", "<p><strong>The query is too long to run:</strong> " + text.length.toLocaleString("en-GB") +
        " characters; the endpoint accepts at most " + maxLength.toLocaleString("en-GB") + ".</p>");
      liveResults.hidden = true;
      return;
    }
    if (running) {
      running.abort();
    }
    running = new AbortController();
    runButton.disabled = true;
    var started = performance.now();
    var status = say("note running", "<p>Running the query…</p>");
    fetch(endpointUrl, {
      method: "POST",
      signal: running.signal,
      headers: { Accept: "application/sparql-results+json, application/n-triples;q=0.9, application/json;q=0.5",
                 "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query: text }).toString()
    }).then(function (response) {
      return response.text().then(function (body) { return { response: response, body: body }; });
    }).then(function (answer) {
      var response = answer.response;
      status.remove();
      var unknown = response.headers.get("X-Unknown-Terms");
      if (unknown) {
        unknownTermsNote(unknown);
      }
      var unbound = response.headers.get("X-Unbound-Variables");
      if (unbound && response.ok) {
        var names = unbound.split(",").map(function (v) { return "<code>?" + esc(v.trim().replace(/^[?$]/, "")) + "</code>"; });
        say("note unbound", "<p><strong>Check the variables:</strong> the query selects " + names.join(", ") +
          (names.length === 1 ? ", which the WHERE clause never binds, so its column is empty." :
            ", which the WHERE clause never binds, so their columns are empty.") + "</p>");
      }
      if (!response.ok) {
        var error = null;
        try { error = JSON.parse(answer.body); } catch (e) { error = null; }
        var message = error && error.message ? error.message : answer.body.trim() || response.status + " " + response.statusText;
        showError(message, error && error.line, error && error.column, error && error.hint);
        return;
      }
      var type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
      var body = answer.body;
      if (type === "application/sparql-results+json") {
        var parsed = JSON.parse(body);
        parsed.head.vars = projectionOrder(text, parsed.head.vars || []);
        body = JSON.stringify(parsed);
        var count = parsed.results ? parsed.results.bindings.length : null;
        say("note done", "<p>" + (count === null ? "Answered" : count.toLocaleString("en-GB") + (count === 1 ? " row" : " rows")) +
          " in " + Math.round(performance.now() - started) + " ms." +
          (response.headers.get("X-Result-Truncated") ? " The answer was cut at the endpoint's row limit." : "") + "</p>");
      }
      var server = document.getElementById("server-results");
      if (server) {
        server.remove();
      }
      liveResults.hidden = false;
      yasr.setResponse({ data: body, contentType: type, status: response.status, executionTime: Math.round(performance.now() - started) });
      updateLinks(text);
    }).catch(function (error) {
      status.remove();
      if (error.name !== "AbortError") {
        say("error", "<p><strong>The endpoint did not answer:</strong> " + esc(error.message) + "</p>");
      }
    }).finally(function () {
      runButton.disabled = false;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  snippets(yasqe.getValue());
  document.getElementById("snippets").hidden = false;
  // A page opened with a query (a permalink or an example) runs it here too, so the results
  // get YASR's table, chart and downloads.
  if (document.getElementById("server-results") || serverProblem) {
    termsLoaded.then(run, run);
  }
})();
