/* Crane Bench reports: draw the charts from their JSON blocks, filter the tables. */
(function () {
  "use strict";

  var PLOT_CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d"],
    toImageButtonOptions: { format: "svg" }
  };

  function readJSON(id) {
    var block = document.getElementById(id);
    return block ? JSON.parse(block.textContent) : null;
  }

  // plotly.js comes packed (gzip, base64) in a data block, a third of its size. Unpacked
  // here and run as an inline script: the page's policy admits it by its hash, and by
  // nothing else, so a changed byte would not run.
  function loadPlotly() {
    var block = document.getElementById("plotly-js");
    if (!block) {
      return Promise.resolve(false);
    }
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(new Error("this browser cannot unpack the charts' plotly.js"));
    }
    var text = atob(block.textContent);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) {
      bytes[i] = text.charCodeAt(i);
    }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(function (source) {
      var script = document.createElement("script");
      script.textContent = source;
      document.head.appendChild(script);
      if (typeof Plotly === "undefined") {
        throw new Error("plotly.js did not run (refused by the page's policy?)");
      }
      return true;
    });
  }

  function chartsFailed(error) {
    document.querySelectorAll("[data-chart]").forEach(function (div) {
      div.textContent = "The chart could not be drawn: " + error.message;
      div.classList.add("chart-failed");
    });
    console.error(error);
  }

  function drawCharts() {
    var charts = document.querySelectorAll("[data-chart]");
    if (typeof Plotly === "undefined") {
      return;
    }
    charts.forEach(function (div) {
      var figure = readJSON(div.getAttribute("data-chart"));
      if (!figure) {
        return;
      }
      Plotly.newPlot(div, figure.data, figure.layout, PLOT_CONFIG).then(function () {
        div.setAttribute("data-rendered", "true");
      });
    });
    // Paper is narrower than the screen: fit the charts to it, and back afterwards.
    var resize = function () {
      charts.forEach(function (div) {
        if (div.getAttribute("data-rendered")) {
          Plotly.Plots.resize(div);
        }
      });
    };
    window.matchMedia("print").addEventListener("change", resize);
  }

  function setupFilters(tableId, formId) {
    var table = document.getElementById(tableId);
    var form = document.getElementById(formId);
    if (!table || !form) {
      return;
    }
    var selects = form.querySelectorAll("[data-filter]");
    var search = form.querySelector("input[type=search]");
    var shown = form.querySelector("output span");
    var empty = table.querySelector("tr.empty");
    var rows = table.querySelectorAll("tbody tr.failure");

    function apply() {
      var wanted = [];
      selects.forEach(function (select) {
        if (select.value) {
          wanted.push([select.getAttribute("data-filter"), select.value]);
        }
      });
      var text = search ? search.value.trim().toLowerCase() : "";
      var visible = 0;
      rows.forEach(function (row) {
        var keep = wanted.every(function (pair) {
          return row.getAttribute("data-" + pair[0]) === pair[1];
        });
        if (keep && text) {
          keep = row.textContent.toLowerCase().indexOf(text) !== -1;
        }
        row.hidden = !keep;
        // A row's transcript panel follows it and goes with it.
        var next = row.nextElementSibling;
        if (next && next.classList.contains("transcript-row")) {
          next.hidden = !keep;
        }
        visible += keep ? 1 : 0;
      });
      if (shown) {
        shown.textContent = String(visible);
      }
      if (empty) {
        empty.hidden = visible !== 0;
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    selects.forEach(function (select) {
      select.addEventListener("change", apply);
    });
    if (search) {
      search.addEventListener("input", apply);
    }
    apply();
  }

  // Printing shows every detail, not only the ones someone happened to open.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (details) {
      details.open = true;
    });
  });

  // Side by side: copies of two transcripts already in the page (rendered and escaped
  // there), cloned as nodes; no text is ever parsed as HTML here.
  function copyOf(id) {
    var source = document.getElementById(id);
    if (!source) {
      return document.createTextNode("transcript not found");
    }
    var copy = source.cloneNode(true);
    copy.removeAttribute("id");
    return copy;
  }

  function setupCompare() {
    document.querySelectorAll("details.compare").forEach(function (details) {
      var select = details.querySelector("select.compare-with");
      var left = details.querySelector(".pane.left");
      var right = details.querySelector(".pane.right");
      function fill() {
        if (!details.open) {
          return;
        }
        left.replaceChildren(copyOf(details.getAttribute("data-left")));
        right.replaceChildren(copyOf(select.value));
      }
      details.addEventListener("toggle", fill);
      select.addEventListener("change", fill);
    });
  }

  setupFilters("failures", "failure-filters");
  setupCompare();
  loadPlotly().then(drawCharts, chartsFailed);
})();
