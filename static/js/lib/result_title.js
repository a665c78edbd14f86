// The title of an experiment's row, "[number]: model, initial image, step size, epochs", for
// the Model Builder's rows and the history's alike: one renderer, fed with the experiment's
// number and settings and the page's labels of models and pictures of initial images.
import { el } from "./dom.js";
import { countOf } from "./format.js";

// detail: {id, number, config}; labels: {architectures: {name: label},
// initialImages: {key: {name, src}}}.
export function resultTitle(detail, labels) {
  const config = detail.config || {};
  const modelLabel = labels.architectures[config.model] || config.model || "?";
  const initial = labels.initialImages[config.initial_image];
  const title = el("h3", { className: "result-title", id: `experiment-${detail.id}-title` });
  title.append(`[${detail.number ?? detail.id}]: ${modelLabel}, `);
  if (initial) {
    title.append(
      el("img", {
        className: "pixelated",
        src: initial.src,
        width: 24,
        height: 24,
        alt: `${initial.name} initial image`,
        title: `Initial image: ${initial.name}`,
      }),
    );
  } else {
    title.append(String(config.initial_image ?? "?"));
  }
  title.append(`, ${config.step_size}, ${countOf(config.epochs, "epoch")}`);
  return title;
}
