// What the two square heatmaps (a run's confusion matrix, the compare page's cross-class
// |r|) do alike: their cells are one stop of the Tab key with the arrow keys (and Home, End)
// moving between them, and their rows are named down the left.

// The cells matching `selector` inside svgNode, n to a row, in row order.
export function gridKeys(svgNode, selector, n) {
  const cells = Array.from(svgNode.querySelectorAll(selector));
  const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  svgNode.addEventListener("keydown", (event) => {
    const at = cells.indexOf(document.activeElement);
    if (at < 0) return;
    let next = null;
    if (event.key in moves) {
      const [di, dj] = moves[event.key];
      const i = Math.min(n - 1, Math.max(0, Math.floor(at / n) + di));
      const j = Math.min(n - 1, Math.max(0, (at % n) + dj));
      next = i * n + j;
    } else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = cells.length - 1;
    if (next === null) return;
    event.preventDefault();
    cells[at].setAttribute("tabindex", "-1");
    cells[next].setAttribute("tabindex", "0");
    cells[next].focus();
  });
}

// One label per row, right-aligned just left of the cells (which start at x = left).
export function rowLabels(svg, labels, { className, left, top, cell, gap }) {
  svg
    .append("g")
    .selectAll("text")
    .data(labels)
    .join("text")
    .attr("class", className)
    .attr("x", left - gap)
    .attr("y", (_d, i) => top + i * cell + cell / 2 + 4)
    .attr("text-anchor", "end")
    .text((d) => d);
}
