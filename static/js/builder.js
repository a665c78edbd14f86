// The Model Builder page: the four steps, then one result row per experiment. Everything goes
// through the JSON API (/api/v1/): the page never reloads while a run trains. The page's
// context (builder-settings) gives the API's root, the bounds and defaults of the run
// settings, and the labels of models and initial images.
import { setupClasses } from "./builder/classes.js";
import { setupDatasets } from "./builder/datasets.js";
import { setupDrawPanel } from "./builder/draw_panel.js";
import { setupEffects } from "./builder/effects.js";
import { setupFollowUps } from "./builder/follow_ups.js";
import { setupResults } from "./builder/results.js";
import { setupSettings } from "./builder/settings.js";
import { setupSweep } from "./builder/sweep.js";
import { readJson } from "./lib/dom.js";

const settings = readJson("builder-settings");

// The parts call each other only through what they are handed here; the callbacks run on
// the reader's clicks and the API's answers, once every part is set up.
const classes = setupClasses(settings, {
  onSelectionChange: () => {
    runSettings.hideError("classes");
    datasets.sync();
    runSettings.updateRunState();
  },
  actions: {
    edit: (ref) => panel.openDraw(ref),
    highlight: (ref) => panel.openHighlight(ref),
    remove: (ref) => panel.deleteClass(ref),
  },
});
const datasets = setupDatasets(settings, {
  classes,
  onChange: () => runSettings.updateRunState(),
});
const panel = setupDrawPanel(settings, {
  classes,
  onClassesChange: () => {
    datasets.sync();
    runSettings.updateRunState();
  },
});
const results = setupResults(settings, { onReuseSeed: (seed) => runSettings.reuseSeed(seed) });
setupEffects(settings, results);
setupFollowUps(settings, results);
const runSettings = setupSettings(settings, {
  classes,
  onStarted: (detail) => results.showStarted(detail, { scroll: true }),
});

// The sweep form sends the run settings as the run button would, and shows their errors there.
setupSweep(settings, runSettings);

// The classes kept from before a reload show their dataset's tab and settings.
datasets.sync({ reveal: true });
runSettings.updateRunState();
panel.fillSelects();
classes.loadOwn().then(() => {
  panel.fillSelects();
  datasets.sync();
  runSettings.updateRunState();
});
results.loadFirstPage();
