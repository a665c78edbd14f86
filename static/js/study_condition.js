// A study participant's condition, enforced on the page: loaded by base.html for participants
// only, before the page's own script. It disables and hides what the condition does not allow
// (models outside allowed_models, semantic highlighting, drawing new classes). The API refuses
// such runs as well (400 naming the field); this keeps the page from offering them at all.
(function () {
  "use strict";

  var node = document.getElementById("study-condition");
  if (!node) return;
  var rules = JSON.parse(node.textContent);
  var REASON = "Not part of your study condition";

  function turnOff(element) {
    if (!element) return;
    element.disabled = true;
    element.hidden = true;
    element.setAttribute("data-study-disallowed", "");
  }

  var allowed = rules.allowed_models || [];
  if (allowed.length) {
    var inputs = document.querySelectorAll('input[name="model"]');
    Array.prototype.forEach.call(inputs, function (input) {
      if (allowed.indexOf(input.value) !== -1) return;
      input.disabled = true;
      input.checked = false;
      var label = input.closest("label");
      if (label) {
        label.setAttribute("data-study-disallowed", "");
        label.title = REASON;
      }
    });
    if (!document.querySelector('input[name="model"]:checked')) {
      var first = document.querySelector('input[name="model"]:not([disabled])');
      if (first) first.checked = true;
    }
  }

  if (!rules.highlighting) {
    var off = document.querySelector('input[name="highlight"][value="none"]');
    if (off) off.checked = true;
    turnOff(document.getElementById("highlighting-group"));
    turnOff(document.getElementById("highlight-open"));
  }

  if (!rules.drawing) {
    turnOff(document.getElementById("draw-open"));
  }
})();
