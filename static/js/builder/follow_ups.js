// Under a finished row: train the same settings again with a new seed (is the picture
// stable?), or generate new images from its stored weights with other image settings.
import { apiFetch, describeErrors } from "../lib/api.js";
import { byId, el } from "../lib/dom.js";

// A seed drawn anywhere within the bounds the server accepts.
function randomSeed([low, high]) {
  return low + Math.floor(Math.random() * (high - low + 1));
}

// results: the rows (setupResults); adds the block under finished rows.
export function setupFollowUps(settings, results) {
  // The objectives on offer are those of the run settings' own list (Advanced, step 3).
  const objectiveChoices = Array.from(byId("objective").options, (option) => [option.value, option.text]);

  function followUps(detail) {
    const label = detail.number ?? detail.id;
    const status = el("p", { className: "follow-up-status", role: "status" });
    const rerun = el("button", {
      type: "button",
      className: "button button-secondary button-small follow-up-rerun",
      text: "Run again with a new seed",
      "aria-label": `Run experiment ${label} again with a new seed`,
    });
    rerun.addEventListener("click", () =>
      startFollowUp(detail, "rerun", { seed: randomSeed(settings.limits.seed) }, rerun, status),
    );
    const form = revisualizeForm(detail, status, () => showForm(false));
    const toggle = el("button", {
      type: "button",
      className: "button button-secondary button-small follow-up-images",
      text: "New images from these weights…",
      "aria-expanded": "false",
      "aria-controls": form.id,
      "aria-label": `New images from the weights of experiment ${label}`,
    });
    function showForm(shown) {
      form.hidden = !shown;
      toggle.setAttribute("aria-expanded", String(shown));
    }
    toggle.addEventListener("click", () => {
      showForm(form.hidden);
      if (!form.hidden) form.querySelector("select").focus();
    });
    return el(
      "div",
      { className: "follow-ups" },
      el("div", { className: "follow-up-buttons" }, rerun, toggle),
      form,
      status,
    );
  }

  function revisualizeForm(detail, status, onStarted) {
    const config = detail.config || {};
    const prefix = `revisualize-${detail.id}`;
    const field = (name, label, control) =>
      el("div", { className: "follow-up-field" }, el("label", { for: `${prefix}-${name}`, text: label }), control);
    const initial = el("select", { id: `${prefix}-initial_image`, name: "initial_image" });
    for (const [key, image] of Object.entries(settings.initialImages)) {
      initial.append(el("option", { value: key, text: image.name, selected: key === config.initial_image }));
    }
    const [stepLow, stepHigh] = settings.limits.step_size;
    const step = el("input", {
      id: `${prefix}-step_size`,
      name: "step_size",
      type: "number",
      step: "any",
      min: stepLow,
      max: stepHigh,
      required: true,
      value: config.step_size ?? settings.defaults.step_size,
    });
    const objective = el("select", { id: `${prefix}-objective`, name: "objective" });
    const chosen = config.objective ?? settings.defaults.objective;
    for (const [value, text] of objectiveChoices) {
      objective.append(el("option", { value, text, selected: value === chosen }));
    }
    const form = el(
      "form",
      { className: "follow-up-form", id: `${prefix}-form`, hidden: true, novalidate: true },
      field("initial_image", "Initial image", initial),
      field("step_size", "Step size", step),
      field("objective", "Objective", objective),
      el("button", { type: "submit", className: "button button-small", text: "Generate" }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // The server checks the step (an empty field arrives as null) and names it when it refuses.
      const body = { initial_image: initial.value, step_size: step.valueAsNumber, objective: objective.value };
      const button = form.querySelector("[type=submit]");
      if (await startFollowUp(detail, "revisualize", body, button, status)) onStarted();
    });
    return form;
  }

  async function startFollowUp(detail, path, body, button, status) {
    button.disabled = true;
    status.classList.remove("is-error");
    status.textContent = "Starting…";
    try {
      const response = await apiFetch(`${settings.api}experiments/${detail.id}/${path}/`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      if (response.status === 201 && response.body) {
        results.showStarted(response.body);
        status.textContent = `Started [${response.body.number}]: its row is at the top.`;
        return true;
      }
      status.textContent = describeErrors(response.body, response.status, settings.labels);
    } catch (_error) {
      status.textContent = "The server could not be reached. Try again.";
    } finally {
      button.disabled = false;
    }
    status.classList.add("is-error");
    return false;
  }

  results.addSection(followUps);
}
