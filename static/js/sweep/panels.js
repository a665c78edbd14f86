// The sweep page's tables and pictures: the claims, the members (each linked to its row in
// the history) and the generated images, by seed or by class.
import { el } from "../lib/dom.js";
import { STATUS_LABELS, formatPercent, isNumber } from "../lib/format.js";
import { combos, fixed, memberAt, seedsOf, settingLabel, valueText, variedSettings } from "./common.js";

function row(cells, header = false) {
  return el("tr", {}, ...cells.map((cell, i) => el(header ? "th" : i === 0 ? "th" : "td", header || i === 0 ? { scope: header ? "col" : "row" } : {}, cell)));
}

// ---------------------------------------------------------------- claims

export function renderClaims(table, empty, data) {
  const claims = data.claims || [];
  table.hidden = claims.length === 0;
  empty.hidden = claims.length > 0;
  if (!variedSettings(data).length) empty.textContent = "This sweep varies nothing but the seed: there is nothing to compare.";
  else empty.textContent = "No claims yet: they appear as runs finish.";
  table.replaceChildren(
    el("caption", { text: "For each class, which setting gives the higher mean |r|, and on how many seeds the order holds" }),
    el("thead", {}, row(["Class", "Claim", "Seeds where it holds", "Holds on the means"], true)),
    el(
      "tbody",
      {},
      ...claims.map((claim) => {
        const tr = row([
          claim.class_name || claim.class,
          claim.text,
          `${claim.seeds_holding} of ${claim.seeds} (${isNumber(claim.share) ? Math.round(claim.share * 100) : "–"}%)`,
          claim.holds_on_means ? "yes" : "no",
        ]);
        tr.dataset.class = claim.class;
        return tr;
      }),
    ),
  );
}

// ---------------------------------------------------------------- members

function meanR(member) {
  const rs = (member.classes || []).map((c) => c.r).filter(isNumber);
  return rs.length ? rs.reduce((a, b) => a + b, 0) / rs.length : null;
}

export function memberUrl(settings, data, member) {
  return `${settings.historyUrl}?tag=sweep-${data.number}#experiment-${member.id}`;
}

export function renderMembers(table, settings, data) {
  const names = variedSettings(data);
  table.replaceChildren(
    el("caption", { text: "Every run of the sweep; each opens its row in the history" }),
    el("thead", {}, row(["Run", "Seed", ...names.map(settingLabel), "Status", "Accuracy", "Validation accuracy", "Mean |r|"], true)),
    el(
      "tbody",
      {},
      ...data.experiments.map((member) => {
        const link = el("a", { href: memberUrl(settings, data, member), text: `Experiment ${member.number}` });
        const tr = row([
          link,
          String(member.seed),
          ...names.map((name) => valueText((member.values || {})[name])),
          STATUS_LABELS[member.status] || member.status,
          formatPercent(member.accuracy),
          formatPercent(member.val_accuracy),
          fixed(meanR(member)),
        ]);
        tr.dataset.id = member.id;
        tr.dataset.status = member.status;
        return tr;
      }),
    ),
  );
}

// ---------------------------------------------------------------- images

// One picture of a member's class, or why there is none yet.
function imageCell(settings, data, member, classKey, alt) {
  if (!member) return el("td", { className: "grid-cell is-empty" }, el("span", { className: "visually-hidden", text: "no run" }));
  const result = (member.classes || []).find((c) => c.key === classKey);
  if (!result || !result.image_url) {
    const status = STATUS_LABELS[member.status] || member.status;
    return el("td", { className: "grid-cell is-empty", "data-status": member.status }, el("span", { className: "grid-r", text: status }));
  }
  return el(
    "td",
    { className: "grid-cell", "data-experiment": member.id, "data-seed": member.seed },
    el(
      "a",
      { href: memberUrl(settings, data, member) },
      el("img", { className: "pixelated grid-image", src: result.image_url, width: 84, height: 84, alt, loading: "lazy" }),
    ),
    el("p", { className: "grid-r", text: `|r| = ${fixed(result.r)}` }),
  );
}

function fillSelect(select, options, chosen) {
  const keep = options.some((option) => String(option.value) === String(chosen)) ? String(chosen) : String(options[0]?.value ?? "");
  select.replaceChildren(...options.map((option) => el("option", { value: option.value, text: option.text })));
  select.value = keep;
  return keep;
}

// state: {mode: "seed" | "class", seed, class}, kept between redraws.
export function renderImages(nodes, settings, data, state) {
  const all = combos(data);
  const seeds = seedsOf(data);
  state.seed = Number(fillSelect(nodes.seed, seeds.map((seed) => ({ value: seed, text: `Seed ${seed}` })), state.seed));
  state.class = fillSelect(nodes.class, data.classes.map((c) => ({ value: c.key, text: c.name })), state.class);
  nodes.seedField.hidden = state.mode !== "seed";
  nodes.classField.hidden = state.mode !== "class";
  const grid = nodes.grid;
  grid.dataset.mode = state.mode;
  if (state.mode === "seed") {
    grid.replaceChildren(
      el("caption", { text: `Seed ${state.seed}: every class's generated image for each setting` }),
      el("thead", {}, row(["Class", ...all.map((combo) => combo.text)], true)),
      el(
        "tbody",
        {},
        ...data.classes.map((cls) =>
          el(
            "tr",
            { "data-class": cls.key },
            el("th", { scope: "row", text: cls.name }),
            ...all.map((combo) =>
              imageCell(settings, data, memberAt(data, combo.key, state.seed), cls.key, `Generated image of ${cls.name}, ${combo.text}, seed ${state.seed}`),
            ),
          ),
        ),
      ),
    );
  } else {
    const cls = data.classes.find((c) => c.key === state.class) || data.classes[0];
    grid.replaceChildren(
      el("caption", { text: `${cls.name}: every seed's generated image side by side` }),
      el("thead", {}, row(["Setting", ...seeds.map((seed) => `Seed ${seed}`)], true)),
      el(
        "tbody",
        {},
        ...all.map((combo) =>
          el(
            "tr",
            { "data-combo": combo.key },
            el("th", { scope: "row", text: combo.text }),
            ...seeds.map((seed) =>
              imageCell(settings, data, memberAt(data, combo.key, seed), cls.key, `Generated image of ${cls.name}, ${combo.text}, seed ${seed}`),
            ),
          ),
        ),
      ),
    );
  }
}
