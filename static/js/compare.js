// The compare page: everything comes from GET /api/v1/compare/?ids=...; the selection and
// options live in the URL (ids, base, all), so a reload or a shared link shows the same view.
// With wait=1 (a paper scenario just queued) it first waits for the runs, showing progress.
(() => {
  "use strict";

  const { apiFetch, el, messagesOf, progressText } = window.ShapeShop;

  const settings = JSON.parse(document.getElementById("compare-settings").textContent);
  const $ = (id) => document.getElementById(id);
  const ACTIVE = new Set(["queued", "running"]);
  const COLORS = d3.schemeTableau10;
  const CELL = 84; // pixels of a generated image in the grid and the exported PNG

  const params = new URLSearchParams(window.location.search);
  let data = null;

  // ---------------------------------------------------------------- helpers

  const isNumber = (value) => typeof value === "number" && Number.isFinite(value);
  const fixed = (value, digits = 2) => (isNumber(value) ? value.toFixed(digits) : "–");
  const signed = (value) => (isNumber(value) ? `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(2)}` : "–");
  const colorOf = (index) => COLORS[index % COLORS.length];

  function settingValue(value) {
    if (value === null || value === undefined) return "–";
    if (Array.isArray(value)) return value.join(", ");
    if (typeof value === "boolean") return value ? "on" : "off";
    return String(value);
  }

  function setUrl(changes) {
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) params.delete(key);
      else params.set(key, String(value));
    }
    // Commas stay commas: the address is meant to be read and shared.
    const query = params.toString().replaceAll("%2C", ",");
    history.replaceState(null, "", `${window.location.pathname}?${query}`);
  }

  function dataUrl(path) {
    const query = new URLSearchParams({ ids: params.get("ids") || "", all: "1" });
    if (params.get("base")) query.set("base", params.get("base"));
    return `${settings.api}${path}?${query.toString()}`;
  }

  function showError(text) {
    $("compare-loading").hidden = true;
    $("compare-error").replaceChildren(el("p", { text }));
    $("compare-error").hidden = false;
  }

  // A table from a header row and body rows (each cell text, or a node).
  function fillTable(table, head, rows, caption) {
    const thead = el("thead", {}, el("tr", {}, ...head.map((text) => el("th", { scope: "col", text }))));
    const tbody = el(
      "tbody",
      {},
      ...rows.map((cells) =>
        el("tr", {}, ...cells.map((cell, i) => (i === 0 ? el("th", { scope: "row" }, cell) : el("td", {}, cell)))),
      ),
    );
    table.replaceChildren(...(caption ? [el("caption", { text: caption })] : []), thead, tbody);
  }

  // ---------------------------------------------------------------- loading and waiting

  async function load() {
    let response;
    try {
      response = await apiFetch(dataUrl("compare/"));
    } catch (_error) {
      showError("The server could not be reached. Reload to try again.");
      return;
    }
    if (response.status === 404) {
      showError("One of these experiments does not exist or is not yours.");
      return;
    }
    if (!response.ok || !response.body) {
      showError(messagesOf(response.body).join(" ") || `Could not load (HTTP ${response.status}).`);
      return;
    }
    data = response.body;
    const active = data.experiments.filter((experiment) => ACTIVE.has(experiment.status));
    if (params.get("wait") === "1" && active.length) {
      showWaiting(data.experiments);
      setTimeout(load, settings.pollMs);
      return;
    }
    if (params.get("wait") === "1") setUrl({ wait: null });
    $("wait-section").hidden = true;
    render();
  }

  function showWaiting(experiments) {
    $("compare-loading").hidden = true;
    $("wait-section").hidden = false;
    const finished = experiments.filter((experiment) => !ACTIVE.has(experiment.status)).length;
    $("wait-announcer").textContent = `${finished} of ${experiments.length} runs finished.`;
    $("wait-list").replaceChildren(
      ...experiments.map((experiment) => {
        const fraction = ACTIVE.has(experiment.status)
          ? Math.max(0, Math.min(1, (experiment.progress && experiment.progress.fraction) || 0))
          : 1;
        const percent = Math.round(fraction * 100);
        const fill = el("div", { className: "progress-fill" });
        fill.style.width = `${percent}%`;
        const name = `${experiment.label}: ${experiment.classes.join(", ")}`;
        return el(
          "li",
          { className: "wait-item", "data-status": experiment.status },
          el("p", {}, el("strong", { text: name }), ` · ${experiment.status}`),
          ACTIVE.has(experiment.status)
            ? el("p", { className: "wait-detail", text: `${percent}% · ${progressText(experiment)}` })
            : null,
          el(
            "div",
            {
              className: "progress-track",
              role: "progressbar",
              "aria-label": `Progress of ${experiment.label}`,
              "aria-valuemin": 0,
              "aria-valuemax": 100,
              "aria-valuenow": percent,
            },
            fill,
          ),
        );
      }),
    );
  }

  // ---------------------------------------------------------------- rendering

  function render() {
    $("compare-loading").hidden = true;
    $("compare-content").hidden = false;
    const base = data.experiments.find((experiment) => experiment.id === data.base);
    const running = data.experiments.filter((experiment) => ACTIVE.has(experiment.status));
    $("still-running").hidden = running.length === 0;
    $("still-running").textContent = running.length
      ? `Still running: ${running.map((e) => e.label).join(", ")}. Reload when they finish to see their results.`
      : "";
    renderToolbar();
    renderLegend();
    renderGrid();
    renderSettings();
    renderRChart();
    renderDeltaChart(base);
    renderCurves();
    renderHeatmaps();
    renderScrubber();
  }

  function renderToolbar() {
    const select = $("base-select");
    select.replaceChildren(
      ...data.experiments.map((experiment) =>
        el("option", { value: experiment.id, selected: experiment.id === data.base, text: experiment.label }),
      ),
    );
    $("show-all").checked = params.get("all") === "1";
    $("export-csv").href = dataUrl("compare/csv/");
    const ids = data.experiments.map((experiment) => experiment.id).join("-");
    $("export-csv").setAttribute("download", `comparison-${ids}.csv`);
  }

  function renderLegend() {
    $("experiment-legend").replaceChildren(
      ...data.experiments.map((experiment, index) => {
        const swatch = el("span", { className: "legend-swatch" });
        swatch.style.background = colorOf(index);
        return el("span", { className: "legend-item" }, swatch, experiment.label);
      }),
    );
  }

  function experimentHeader(experiment, index) {
    const swatch = el("span", { className: "legend-swatch", "aria-hidden": "true" });
    swatch.style.background = colorOf(index);
    return el(
      "th",
      { scope: "col", className: experiment.id === data.base ? "is-base" : null },
      swatch,
      experiment.label,
      experiment.id === data.base ? el("span", { className: "base-mark", text: " (base)" }) : null,
      el("span", { className: "grid-sub", text: `accuracy ${fixed(experiment.accuracy, 3)}` }),
    );
  }

  function classHeader(row) {
    return el(
      "th",
      { scope: "row", className: "grid-class" },
      row.template_url
        ? el("img", { className: "pixelated grid-template", src: row.template_url, width: 42, height: 42, alt: "" })
        : null,
      el("span", { text: row.name }),
    );
  }

  function renderGrid() {
    const head = el("tr", {}, el("th", { scope: "col", text: "Class" }), ...data.experiments.map(experimentHeader));
    const body = data.classes.map((row) =>
      el(
        "tr",
        { "data-class": row.key },
        classHeader(row),
        ...row.cells.map((cell, index) => {
          const experiment = data.experiments[index];
          if (!cell) {
            return el("td", { className: "grid-cell is-empty" }, el("span", { className: "visually-hidden", text: "not trained" }));
          }
          const delta = experiment.id === data.base || !isNumber(cell.delta_r) ? null : el("span", { className: "grid-delta", text: ` (${signed(cell.delta_r)})` });
          return el(
            "td",
            { className: "grid-cell" },
            el("img", {
              className: "pixelated grid-image",
              src: cell.image_url,
              width: CELL,
              height: CELL,
              alt: `Generated image for ${row.name} by ${experiment.label}`,
            }),
            el("p", { className: "grid-r" }, "|r| = ", el("strong", { text: fixed(cell.r) }), delta),
          );
        }),
      ),
    );
    $("compare-grid").replaceChildren(
      el("caption", { className: "visually-hidden", text: "Generated image and |r| per class and experiment" }),
      el("thead", {}, head),
      el("tbody", {}, ...body),
    );
  }

  function renderSettings() {
    const showAll = $("show-all").checked;
    const rows = data.settings.filter((row) => showAll || row.differs);
    $("settings-same").hidden = rows.length > 0;
    const table = $("settings-table");
    const head = el("tr", {}, el("th", { scope: "col", text: "Setting" }), ...data.experiments.map((e) => el("th", { scope: "col", text: e.label })));
    table.replaceChildren(
      el("caption", { className: "visually-hidden", text: showAll ? "Every setting" : "The settings that differ" }),
      el("thead", {}, head),
      el(
        "tbody",
        {},
        ...rows.map((row) =>
          el(
            "tr",
            { className: row.differs ? "is-different" : null, "data-setting": row.name },
            el("th", { scope: "row", text: row.name.replaceAll("_", " ") }),
            ...row.values.map((value) => el("td", { text: settingValue(value) })),
          ),
        ),
      ),
    );
  }

  // Axes and a frame shared by the bar charts.
  function barFrame(svgNode, height) {
    const width = Math.max(520, Math.min(1040, 70 + data.classes.length * Math.max(70, 24 * data.experiments.length)));
    const margin = { top: 12, right: 12, bottom: 42, left: 48 };
    const svg = d3.select(svgNode).attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
    svg.selectAll("*").remove();
    const x0 = d3
      .scaleBand()
      .domain(data.classes.map((row) => row.key))
      .range([margin.left, width - margin.right])
      .paddingInner(0.2);
    return { svg, width, height, margin, x0 };
  }

  function classAxis(frame, y) {
    const names = new Map(data.classes.map((row) => [row.key, row.name]));
    frame.svg
      .append("g")
      .attr("class", "axis")
      .attr("transform", `translate(0,${y})`)
      .call(d3.axisBottom(frame.x0).tickFormat((key) => names.get(key)))
      .selectAll("text")
      .attr("transform", "rotate(-12)")
      .style("text-anchor", "end");
  }

  function renderRChart() {
    const frame = barFrame($("r-chart"), 260);
    const { svg, height, margin, x0 } = frame;
    const x1 = d3.scaleBand().domain(d3.range(data.experiments.length)).range([0, x0.bandwidth()]).padding(0.08);
    const y = d3.scaleLinear().domain([0, 1]).range([height - margin.bottom, margin.top]);
    svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left},0)`).call(d3.axisLeft(y).ticks(5));
    const bars = [];
    data.classes.forEach((row) =>
      row.cells.forEach((cell, index) => {
        if (cell && isNumber(cell.r)) bars.push({ row, index, r: cell.r });
      }),
    );
    svg
      .append("g")
      .selectAll("rect")
      .data(bars)
      .join("rect")
      .attr("class", "bar")
      .attr("x", (d) => x0(d.row.key) + x1(d.index))
      .attr("width", x1.bandwidth())
      .attr("y", (d) => y(d.r))
      .attr("height", (d) => y(0) - y(d.r))
      .attr("fill", (d) => colorOf(d.index))
      .append("title")
      .text((d) => `${d.row.name}, ${data.experiments[d.index].label}: |r| = ${d.r.toFixed(2)}`);
    classAxis(frame, height - margin.bottom);
    fillTable(
      $("r-table"),
      ["Class", ...data.experiments.map((e) => e.label)],
      data.classes.map((row) => [row.name, ...row.cells.map((cell) => (cell ? fixed(cell.r) : "not trained"))]),
      "|r| per class and experiment",
    );
  }

  function renderDeltaChart(base) {
    $("delta-title").textContent = `Change in |r| against ${base.label}`;
    const others = data.experiments.map((e, index) => ({ e, index })).filter(({ e }) => e.id !== data.base);
    const frame = barFrame($("delta-chart"), 240);
    const { svg, width, height, margin, x0 } = frame;
    const bars = [];
    data.classes.forEach((row) =>
      others.forEach(({ index }) => {
        const cell = row.cells[index];
        if (cell && isNumber(cell.delta_r)) bars.push({ row, index, delta: cell.delta_r });
      }),
    );
    const extent = Math.max(0.1, d3.max(bars, (d) => Math.abs(d.delta)) || 0);
    const y = d3.scaleLinear().domain([-extent, extent]).nice().range([height - margin.bottom, margin.top]);
    const x1 = d3.scaleBand().domain(others.map(({ index }) => index)).range([0, x0.bandwidth()]).padding(0.08);
    svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left},0)`).call(d3.axisLeft(y).ticks(5).tickFormat(d3.format("+.2f")));
    svg.append("line").attr("class", "zero-line").attr("x1", margin.left).attr("x2", width - margin.right).attr("y1", y(0)).attr("y2", y(0));
    svg
      .append("g")
      .selectAll("rect")
      .data(bars)
      .join("rect")
      .attr("class", "delta-bar")
      .attr("x", (d) => x0(d.row.key) + x1(d.index))
      .attr("width", x1.bandwidth())
      .attr("y", (d) => y(Math.max(0, d.delta)))
      .attr("height", (d) => Math.abs(y(d.delta) - y(0)))
      .attr("fill", (d) => colorOf(d.index))
      .append("title")
      .text((d) => `${d.row.name}, ${data.experiments[d.index].label}: ${signed(d.delta)} against ${base.label}`);
    classAxis(frame, height - margin.bottom);
    fillTable(
      $("delta-table"),
      ["Class", ...others.map(({ e }) => e.label)],
      data.classes.map((row) => [
        row.name,
        ...others.map(({ index }) => {
          const cell = row.cells[index];
          if (!cell) return "not trained";
          return isNumber(cell.delta_r) ? signed(cell.delta_r) : "–";
        }),
      ]),
      `Change in |r| against ${base.label}`,
    );
  }

  const CURVES = [
    { metric: "loss", svg: "loss-chart", series: ["loss", "val_loss"] },
    { metric: "accuracy", svg: "accuracy-chart", series: ["accuracy", "val_accuracy"] },
  ];

  function renderCurves() {
    const tooltip = $("curve-tooltip");
    const allSeries = [];
    for (const chart of CURVES) {
      const lines = [];
      data.experiments.forEach((experiment, index) => {
        for (const key of chart.series) {
          const values = (experiment.history || {})[key];
          if (Array.isArray(values) && values.length) lines.push({ experiment, index, key, values });
        }
      });
      allSeries.push(...lines);
      const width = 500;
      const height = 260;
      const margin = { top: 12, right: 14, bottom: 34, left: 52 };
      const svg = d3.select($(chart.svg)).attr("viewBox", `0 0 ${width} ${height}`).attr("width", width).attr("height", height);
      svg.selectAll("*").remove();
      const epochs = d3.max(lines, (line) => line.values.length) || 1;
      const x = d3.scaleLinear().domain([1, Math.max(2, epochs)]).range([margin.left, width - margin.right]);
      const values = lines.flatMap((line) => line.values.filter(isNumber));
      const yDomain = chart.metric === "accuracy" ? [0, 1] : [0, d3.max(values) || 1];
      const y = d3.scaleLinear().domain(yDomain).nice().range([height - margin.bottom, margin.top]);
      svg.append("g").attr("class", "axis").attr("transform", `translate(0,${height - margin.bottom})`).call(d3.axisBottom(x).ticks(Math.min(10, epochs)).tickFormat(d3.format("d")));
      svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left},0)`).call(d3.axisLeft(y).ticks(5));
      svg.append("text").attr("class", "axis-label").attr("x", width - margin.right).attr("y", height - 4).attr("text-anchor", "end").text("epoch");
      const path = d3
        .line()
        .defined(isNumber)
        .x((_value, i) => x(i + 1))
        .y((value) => y(value));
      svg
        .append("g")
        .selectAll("path")
        .data(lines)
        .join("path")
        .attr("class", (line) => `curve${line.key.startsWith("val_") ? " is-validation" : ""}`)
        .attr("fill", "none")
        .attr("stroke", (line) => colorOf(line.index))
        .attr("d", (line) => path(line.values))
        .append("title")
        .text((line) => `${line.experiment.label}, ${line.key.replace("_", " ")}`);
      // Hover: a rule at the nearest epoch and every series' value there.
      const rule = svg.append("line").attr("class", "hover-rule").attr("y1", margin.top).attr("y2", height - margin.bottom).style("display", "none");
      svg
        .append("rect")
        .attr("class", "hover-area")
        .attr("x", margin.left)
        .attr("y", margin.top)
        .attr("width", width - margin.left - margin.right)
        .attr("height", height - margin.top - margin.bottom)
        .attr("fill", "transparent")
        .on("mousemove", (event) => {
          const [px] = d3.pointer(event);
          const epoch = Math.max(1, Math.min(epochs, Math.round(x.invert(px))));
          rule.attr("x1", x(epoch)).attr("x2", x(epoch)).style("display", null);
          tooltip.replaceChildren(
            el("strong", { text: `${chart.metric}, epoch ${epoch}` }),
            ...lines.map((line) => {
              const swatch = el("span", { className: "legend-swatch" });
              swatch.style.background = colorOf(line.index);
              return el("div", {}, swatch, `${line.experiment.label} ${line.key.startsWith("val_") ? "validation" : "training"}: ${fixed(line.values[epoch - 1], 4)}`);
            }),
          );
          tooltip.hidden = false;
          const box = $(chart.svg).getBoundingClientRect();
          tooltip.style.left = `${window.scrollX + box.left + (x(epoch) / width) * box.width + 12}px`;
          tooltip.style.top = `${window.scrollY + box.top + 8}px`;
        })
        .on("mouseleave", () => {
          rule.style("display", "none");
          tooltip.hidden = true;
        });
    }
    const epochs = d3.max(allSeries, (line) => line.values.length) || 0;
    fillTable(
      $("curves-table"),
      ["Epoch", ...allSeries.map((line) => `${line.experiment.label} ${line.key.replace("_", " ")}`)],
      d3.range(epochs).map((i) => [String(i + 1), ...allSeries.map((line) => fixed(line.values[i], 4))]),
      "Loss and accuracy per epoch, training and validation",
    );
  }

  function renderHeatmaps() {
    const color = d3.scaleSequential(d3.interpolateBlues).domain([0, 1]);
    $("heatmaps").replaceChildren(
      ...data.experiments.map((experiment, index) => {
        const matrix = experiment.cross_r || [];
        const names = experiment.class_names.length ? experiment.class_names : experiment.classes;
        const figure = el("figure", { className: "heatmap-figure", "data-id": experiment.id });
        const titleId = `heatmap-title-${experiment.id}`;
        figure.append(el("figcaption", { id: titleId }, experiment.label));
        if (!matrix.length) {
          figure.append(el("p", { className: "hint", text: "No results: this run did not finish." }));
          return figure;
        }
        const n = matrix.length;
        const cell = Math.max(18, Math.min(40, Math.floor(240 / n)));
        // Room for the class names: down the left, and slanted below (reaching right).
        const left = 110;
        const top = 8;
        const size = left + n * cell + 80;
        const height = top + n * cell + 100;
        const svgNode = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svgNode.setAttribute("class", "chart heatmap");
        svgNode.setAttribute("role", "img");
        svgNode.setAttribute("aria-labelledby", titleId);
        const svg = d3.select(svgNode).attr("viewBox", `0 0 ${size} ${height}`).attr("width", size).attr("height", height);
        const cells = matrix.flatMap((row, i) => row.map((value, j) => ({ i, j, value })));
        svg
          .append("g")
          .selectAll("rect")
          .data(cells)
          .join("rect")
          .attr("class", "heat-cell")
          .attr("x", (d) => left + d.j * cell)
          .attr("y", (d) => top + d.i * cell)
          .attr("width", cell - 1)
          .attr("height", cell - 1)
          .attr("fill", (d) => (isNumber(d.value) ? color(d.value) : "#d8dde4"))
          .append("title")
          .text((d) => `image of ${names[d.i]} vs shape ${names[d.j]}: |r| = ${fixed(d.value)}`);
        svg
          .append("g")
          .selectAll("text")
          .data(names)
          .join("text")
          .attr("class", "heat-label")
          .attr("x", left - 4)
          .attr("y", (_d, i) => top + i * cell + cell / 2 + 4)
          .attr("text-anchor", "end")
          .text((d) => d);
        svg
          .append("g")
          .selectAll("text")
          .data(names)
          .join("text")
          .attr("class", "heat-label")
          .attr("transform", (_d, j) => `translate(${left + j * cell + cell / 2},${top + n * cell + 6}) rotate(50)`)
          .text((d) => d);
        figure.append(svgNode);
        const table = el("table", { className: "data-table" });
        fillTable(table, ["Image of \\ shape", ...names], matrix.map((row, i) => [names[i], ...row.map((v) => fixed(v))]), `Cross-class |r| of ${experiment.label}`);
        figure.append(el("details", { className: "chart-numbers" }, el("summary", { text: "The numbers of this heatmap" }), el("div", { className: "table-scroll" }, table)));
        figure.style.setProperty("--accent-line", colorOf(index));
        return figure;
      }),
    );
  }

  // ---------------------------------------------------------------- snapshots

  function renderScrubber() {
    const frames = d3.max(data.classes.flatMap((row) => row.cells.map((cell) => (cell ? cell.snapshot_frames : 0)))) || 0;
    $("scrubber-section").hidden = frames < 2;
    if (frames < 2) return;
    const scrubber = $("scrubber");
    scrubber.max = String(frames - 1);
    scrubber.value = String(frames - 1);
    const head = el("tr", {}, el("th", { scope: "col", text: "Class" }), ...data.experiments.map((e, i) => experimentHeader(e, i)));
    const body = data.classes.map((row) =>
      el(
        "tr",
        {},
        classHeader(row),
        ...row.cells.map((cell, index) => {
          if (!cell || !cell.snapshot_frames) {
            return el("td", { className: "grid-cell is-empty" }, el("span", { className: "visually-hidden", text: "no snapshots" }));
          }
          const image = el("img", {
            className: "pixelated grid-image scrub-image",
            width: CELL,
            height: CELL,
            alt: `Snapshot of ${row.name} by ${data.experiments[index].label}`,
          });
          image.dataset.base = cell.snapshot_url;
          image.dataset.frames = String(cell.snapshot_frames);
          return el("td", { className: "grid-cell" }, image);
        }),
      ),
    );
    $("scrub-grid").replaceChildren(el("caption", { className: "visually-hidden", text: "Snapshots of generation" }), el("thead", {}, head), el("tbody", {}, ...body));
    const show = () => {
      const frame = Number(scrubber.value);
      $("scrubber-value").textContent = `${frame + 1} of ${frames}`;
      for (const image of document.querySelectorAll(".scrub-image")) {
        // A class that finished early keeps its last frame.
        const own = Math.min(frame, Number(image.dataset.frames) - 1);
        image.src = `${image.dataset.base}${own}.png`;
        image.dataset.frame = String(own);
      }
    };
    scrubber.oninput = show;
    show();
  }

  // ---------------------------------------------------------------- export as PNG

  function loadImage(src) {
    return new Promise((resolve) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => resolve(null);
      image.src = src;
    });
  }

  async function exportPng() {
    const button = $("export-png");
    button.disabled = true;
    try {
      const labelWidth = 150;
      const column = CELL + 36;
      const header = 48;
      const rowHeight = CELL + 34;
      const canvas = document.createElement("canvas");
      canvas.width = labelWidth + data.experiments.length * column + 12;
      canvas.height = header + data.classes.length * rowHeight + 12;
      const context = canvas.getContext("2d");
      context.fillStyle = "#ffffff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.imageSmoothingEnabled = false;
      context.fillStyle = "#1d2530";
      context.font = "bold 14px system-ui, sans-serif";
      data.experiments.forEach((experiment, index) => {
        context.fillStyle = colorOf(index);
        context.fillRect(labelWidth + index * column, 14, 10, 10);
        context.fillStyle = "#1d2530";
        const suffix = experiment.id === data.base ? " (base)" : "";
        context.fillText(`${experiment.label}${suffix}`, labelWidth + index * column + 14, 24);
      });
      const images = await Promise.all(
        data.classes.map((row) => Promise.all(row.cells.map((cell) => (cell ? loadImage(cell.image_url) : null)))),
      );
      data.classes.forEach((row, r) => {
        const top = header + r * rowHeight;
        context.fillStyle = "#1d2530";
        context.font = "bold 13px system-ui, sans-serif";
        context.fillText(row.name, 8, top + CELL / 2);
        row.cells.forEach((cell, c) => {
          const left = labelWidth + c * column;
          if (!cell) {
            context.strokeStyle = "#d8dde4";
            context.strokeRect(left, top, CELL, CELL);
            return;
          }
          const image = images[r][c];
          if (image) context.drawImage(image, left, top, CELL, CELL);
          context.fillStyle = "#1d2530";
          context.font = "13px system-ui, sans-serif";
          context.fillText(`|r| = ${fixed(cell.r)}`, left, top + CELL + 18);
        });
      });
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      const link = el("a", {
        href: URL.createObjectURL(blob),
        download: `comparison-${data.experiments.map((e) => e.id).join("-")}.png`,
      });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } finally {
      button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- controls

  $("base-select").addEventListener("change", (event) => {
    setUrl({ base: event.target.value });
    load();
  });
  $("show-all").addEventListener("change", (event) => {
    setUrl({ all: event.target.checked ? 1 : 0 });
    renderSettings();
  });
  $("export-png").addEventListener("click", exportPng);
  $("save-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("save-status");
    const name = $("save-name").value.trim();
    if (!name) {
      status.textContent = "Give the comparison a name.";
      return;
    }
    const response = await apiFetch(`${settings.api}comparisons/`, {
      method: "POST",
      body: JSON.stringify({
        name,
        experiment_ids: data.experiments.map((experiment) => experiment.id),
        options: { base: data.base, all: $("show-all").checked },
      }),
    }).catch(() => ({ ok: false, status: 0, body: null }));
    if (response.status === 201) {
      status.replaceChildren(`Saved as “${response.body.name}”. Find it on the `, el("a", { href: settings.historyUrl, text: "history page" }), ".");
    } else {
      status.textContent = messagesOf(response.body).join(" ") || `Not saved (HTTP ${response.status}).`;
    }
  });

  load();
})();
