// Under a finished row trained with highlights: for each class with a red region, the red
// area and the share of the generated image's energy and of the saliency inside it; beside
// them the same run without highlighting, started from here on request.
import { apiFetch, describeErrors } from "../lib/api.js";
import { el } from "../lib/dom.js";
import { FINISHED, STATUS_LABELS, formatPercent } from "../lib/format.js";

function effectsTable(detail, effects, baseline) {
  const config = detail.config || {};
  const highlighted = config.highlight && config.highlight !== "none";
  const names = new Map((detail.results || []).map((result) => [result.class, result.name]));
  const compared = baseline && baseline.status === "done";
  const plain = new Map(compared ? (baseline.highlight_effects || []).map((e) => [e.key, e]) : []);
  const runLabel = highlighted
    ? `This run (${config.highlight === "rrr" ? `penalty, λ ${config.highlight_lambda}` : "augment"})`
    : "This run (highlighting off)";
  const head = el(
    "thead",
    {},
    el(
      "tr",
      {},
      el("th", { scope: "col", rowspan: 2, text: "Class" }),
      el("th", { scope: "col", rowspan: 2, text: "Red area" }),
      el("th", { scope: "colgroup", colspan: 2, text: runLabel }),
      compared
        ? el("th", { scope: "colgroup", colspan: 2, text: `Without highlighting [${baseline.number}]` })
        : null,
    ),
    el(
      "tr",
      {},
      el("th", { scope: "col", text: "energy share" }),
      el("th", { scope: "col", text: "saliency share" }),
      compared ? el("th", { scope: "col", text: "energy share" }) : null,
      compared ? el("th", { scope: "col", text: "saliency share" }) : null,
    ),
  );
  const body = el("tbody");
  for (const effect of effects) {
    const other = plain.get(effect.key);
    body.append(
      el(
        "tr",
        { dataset: { class: effect.key } },
        el("th", { scope: "row", text: names.get(effect.key) || effect.key }),
        el("td", { text: formatPercent(effect.area_share) }),
        el("td", { className: "effect-energy", text: formatPercent(effect.energy_share) }),
        el("td", { className: "effect-saliency", text: formatPercent(effect.saliency_share) }),
        compared ? el("td", { className: "baseline-energy", text: formatPercent(other && other.energy_share) }) : null,
        compared ? el("td", { className: "baseline-saliency", text: formatPercent(other && other.saliency_share) }) : null,
      ),
    );
  }
  return el(
    "table",
    { className: "effects-table" },
    el("caption", {
      text: "Inside each red region: its share of the picture, and the share of the generated image's energy and of the model's saliency found there (0% = ignored)",
    }),
    head,
    body,
  );
}

// results: the rows (setupResults); adds the block under finished rows.
export function setupEffects(settings, results) {
  const baselines = new Map(); // experiment id -> the latest detail of a comparison run
  const baselineFetches = new Set();

  function effectsBlock(detail) {
    const effects = detail.highlight_effects || [];
    if (!effects.length) return null;
    const config = detail.config || {};
    const baselineId = detail.highlight_baseline;
    const baseline = baselineId ? baselines.get(baselineId) : null;
    if (baselineId && !baseline) requestBaseline(baselineId, detail.id);
    const block = el("div", { className: "effects" }, effectsTable(detail, effects, baseline));
    if (config.highlight && config.highlight !== "none") block.append(baselineControls(detail, baseline));
    return block;
  }

  function baselineControls(detail, baseline) {
    const line = el("p", { className: "effects-compare" });
    const failed = baseline && (baseline.status === "failed" || baseline.status === "cancelled");
    if (!detail.highlight_baseline || failed) {
      const button = el("button", {
        type: "button",
        className: "button button-secondary button-small compare-baseline",
        text: failed ? "Run the comparison again" : "Compare without highlighting",
        "aria-label": `Run experiment ${detail.number} again without highlighting, same seed`,
      });
      button.addEventListener("click", () => startBaseline(detail, button));
      line.append(button);
      if (failed) line.append(` The comparison run [${baseline.number}] ${baseline.status}.`);
      else line.append(" Runs the same settings and seed with highlighting off, for the figures beside these.");
    } else if (!baseline || baseline.status !== "done") {
      const state = baseline ? STATUS_LABELS[baseline.status] || baseline.status : "Loading";
      line.append(`Comparison without highlighting${baseline ? ` [${baseline.number}]` : ""}: ${state.toLowerCase()}…`);
    } else {
      line.append(`Beside: run [${baseline.number}], the same settings and seed without highlighting.`);
    }
    return line;
  }

  async function startBaseline(detail, button) {
    button.disabled = true;
    button.textContent = "Starting…";
    try {
      const response = await apiFetch(`${settings.api}experiments/${detail.id}/highlight-baseline/`, {
        method: "POST",
      });
      if ((response.status === 201 || response.status === 200) && response.body) {
        const baseline = response.body;
        baselines.set(baseline.id, baseline);
        const entry = results.rows.get(detail.id);
        if (entry) entry.detail = { ...entry.detail, highlight_baseline: baseline.id };
        results.showStarted(baseline);
        results.redraw(detail.id);
        return;
      }
      const message = describeErrors(response.body, response.status, settings.labels);
      button.replaceWith(el("span", { className: "result-error", role: "alert", text: message }));
    } catch (_error) {
      button.disabled = false;
      button.textContent = "Compare without highlighting";
    }
  }

  // A comparison run that is not among the loaded rows is fetched (and polled) on its own.
  async function requestBaseline(id, originalId) {
    if (baselineFetches.has(id)) return;
    baselineFetches.add(id);
    try {
      const response = await apiFetch(`${settings.api}experiments/${id}/`);
      if (response.ok && response.body) {
        baselines.set(id, response.body);
        results.redraw(originalId);
        if (!FINISHED.has(response.body.status) && !results.rows.has(id)) {
          setTimeout(() => {
            baselineFetches.delete(id);
            baselines.delete(id);
            requestBaseline(id, originalId);
          }, settings.pollMs * 2);
          return;
        }
      }
    } catch (_error) {
      // The next redraw asks again.
    }
    baselineFetches.delete(id);
  }

  // When a comparison run changes, the row of the experiment it belongs to shows it.
  function noteBaseline(detail) {
    for (const [id, entry] of results.rows) {
      if (entry.detail && entry.detail.highlight_baseline === detail.id) {
        const known = baselines.get(detail.id);
        baselines.set(detail.id, detail);
        if (!known || known.status !== detail.status) results.redraw(id);
      }
    }
  }

  results.addSection(effectsBlock);
  results.onUpdate(noteBaseline);
}
