// A 28x28 pixel grid drawn large on a <canvas>: pen and eraser with a brush size, clear,
// undo and redo. Reusable: one grid can hold one grayscale drawing ("ink", values in [0, 1]),
// or two exclusive masks painted over a class image (yellow "relevant" and red "irrelevant").
// The Model Builder imports it for drawing and highlighting.
export const SIZE = 28;
const HISTORY_LIMIT = 100;
const COLOURS = {
  relevant: [250, 204, 21],
  irrelevant: [220, 38, 38],
};
const OVERLAY_ALPHA = 0.6;

function emptyLayer() {
  return new Float32Array(SIZE * SIZE);
}

function toRows(layer) {
  const rows = [];
  for (let r = 0; r < SIZE; r += 1) {
    rows.push(Array.from(layer.subarray(r * SIZE, (r + 1) * SIZE), (v) => Math.round(v * 10000) / 10000));
  }
  return rows;
}

function fromRows(rows) {
  const layer = emptyLayer();
  if (!Array.isArray(rows)) return layer;
  for (let r = 0; r < SIZE; r += 1) {
    for (let c = 0; c < SIZE; c += 1) {
      const value = Number(rows[r] && rows[r][c]);
      layer[r * SIZE + c] = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
    }
  }
  return layer;
}

export class PixelGrid {
  // layers: names of the painted layers; with more than one they are exclusive masks
  // (painting one clears the others there) shown over an optional background image.
  constructor(canvas, { layers = ["ink"], onChange = null } = {}) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.layerNames = layers;
    this.masks = layers.length > 1;
    this.layers = new Map(layers.map((name) => [name, emptyLayer()]));
    this.background = null;
    this.active = layers[0];
    this.tool = "pen";
    this.size = 1;
    this.undoStack = [];
    this.redoStack = [];
    this.onChange = onChange;
    this.drawing = false;
    this.last = null;
    // Pen and eraser strokes since the grid was last reset: a study logs them per save.
    this.strokes = 0;
    // The keyboard's brush position, outlined while the grid has keyboard focus.
    this.cursor = [Math.floor(SIZE / 2), Math.floor(SIZE / 2)];
    this.cursorShown = false;
    this.keyStroke = false;
    this.bindPointer();
    this.render();
  }

  // ------------------------------------------------------------ state and history

  snapshot() {
    return new Map(Array.from(this.layers, ([name, layer]) => [name, layer.slice()]));
  }

  remember() {
    this.undoStack.push(this.snapshot());
    if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
    this.redoStack = [];
  }

  changed() {
    this.render();
    if (this.onChange) this.onChange(this);
  }

  undo() {
    if (!this.undoStack.length) return false;
    this.redoStack.push(this.snapshot());
    this.layers = this.undoStack.pop();
    this.changed();
    return true;
  }

  redo() {
    if (!this.redoStack.length) return false;
    this.undoStack.push(this.snapshot());
    this.layers = this.redoStack.pop();
    this.changed();
    return true;
  }

  canUndo() {
    return this.undoStack.length > 0;
  }

  canRedo() {
    return this.redoStack.length > 0;
  }

  // Starts afresh: the given layers (nested lists), nothing to undo.
  reset(values = {}, background = null) {
    for (const name of this.layerNames) this.layers.set(name, fromRows(values[name]));
    this.background = background ? fromRows(background) : null;
    this.undoStack = [];
    this.redoStack = [];
    this.strokes = 0;
    this.changed();
  }

  // Replaces layers as one undoable step (deriving from a class, loading an upload).
  load(values) {
    this.remember();
    for (const [name, rows] of Object.entries(values)) {
      if (this.layers.has(name)) this.layers.set(name, fromRows(rows));
    }
    this.changed();
  }

  clear() {
    if (this.isBlank()) return;
    this.remember();
    for (const name of this.layerNames) this.layers.set(name, emptyLayer());
    this.changed();
  }

  get(name = this.layerNames[0]) {
    return toRows(this.layers.get(name));
  }

  // No painted pixel in any layer (a drawing must also show some contrast to be saved).
  isBlank(name = null) {
    const names = name ? [name] : this.layerNames;
    return names.every((n) => this.layers.get(n).every((v) => v === 0));
  }

  setTool(tool) {
    this.tool = tool === "eraser" ? "eraser" : "pen";
  }

  setSize(size) {
    this.size = Math.max(1, Math.min(4, Number(size) || 1));
  }

  setLayer(name) {
    if (this.layers.has(name)) this.active = name;
  }

  // ------------------------------------------------------------ painting

  paintCell(row, col) {
    const low = -Math.floor((this.size - 1) / 2);
    for (let dr = low; dr < low + this.size; dr += 1) {
      for (let dc = low; dc < low + this.size; dc += 1) {
        const r = row + dr;
        const c = col + dc;
        if (r < 0 || c < 0 || r >= SIZE || c >= SIZE) continue;
        const index = r * SIZE + c;
        if (this.tool === "eraser") {
          for (const layer of this.layers.values()) layer[index] = 0;
        } else {
          if (this.masks) for (const layer of this.layers.values()) layer[index] = 0;
          this.layers.get(this.active)[index] = 1;
        }
      }
    }
  }

  // Every cell on the straight line between two cells, so fast strokes leave no gaps.
  paintLine(from, to) {
    let [r0, c0] = from;
    const [r1, c1] = to;
    const dr = Math.abs(r1 - r0);
    const dc = Math.abs(c1 - c0);
    const sr = r0 < r1 ? 1 : -1;
    const sc = c0 < c1 ? 1 : -1;
    let error = dc - dr;
    for (;;) {
      this.paintCell(r0, c0);
      if (r0 === r1 && c0 === c1) break;
      const twice = 2 * error;
      if (twice > -dr) {
        error -= dr;
        c0 += sc;
      }
      if (twice < dc) {
        error += dc;
        r0 += sr;
      }
    }
  }

  cellAt(event) {
    const box = this.canvas.getBoundingClientRect();
    const col = Math.floor(((event.clientX - box.left) / box.width) * SIZE);
    const row = Math.floor(((event.clientY - box.top) / box.height) * SIZE);
    return [Math.min(SIZE - 1, Math.max(0, row)), Math.min(SIZE - 1, Math.max(0, col))];
  }

  bindPointer() {
    const canvas = this.canvas;
    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      canvas.focus({ preventScroll: true });
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      this.remember();
      this.drawing = true;
      this.strokes += 1;
      this.last = this.cellAt(event);
      this.cursor = this.last;
      this.paintCell(...this.last);
      this.render();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!this.drawing) return;
      const cell = this.cellAt(event);
      this.paintLine(this.last, cell);
      this.last = cell;
      this.cursor = cell;
      this.render();
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.last = null;
      this.changed();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("lostpointercapture", end);
  }

  // Ctrl+Z undoes, Ctrl+Shift+Z (or Ctrl+Y) redoes while focus is inside ``scope``. On the
  // canvas itself the keyboard draws: arrow keys move a cursor, Space or Enter paints the
  // cell under it, Shift with the arrow keys paints along the way (one stroke per Shift).
  bindKeys(scope) {
    const canvas = this.canvas;
    canvas.addEventListener("keydown", (event) => this.onDrawKey(event));
    canvas.addEventListener("keyup", (event) => {
      if (event.key === "Shift") this.keyStroke = false;
    });
    canvas.addEventListener("focus", () => {
      this.cursorShown = canvas.matches(":focus-visible");
      this.render();
    });
    canvas.addEventListener("blur", () => {
      this.cursorShown = false;
      this.keyStroke = false;
      this.render();
    });
    scope.addEventListener("keydown", (event) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
      const target = event.target;
      if (target && target.tagName === "INPUT" && target.type === "text") return;
      const key = event.key.toLowerCase();
      if (key === "z" && !event.shiftKey) {
        event.preventDefault();
        this.undo();
      } else if ((key === "z" && event.shiftKey) || key === "y") {
        event.preventDefault();
        this.redo();
      }
    });
  }

  onDrawKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      const from = this.cursor;
      const clamp = (v) => Math.min(SIZE - 1, Math.max(0, v));
      this.cursor = [clamp(from[0] + move[0]), clamp(from[1] + move[1])];
      this.cursorShown = true;
      if (!event.shiftKey) {
        this.render();
        return;
      }
      if (!this.keyStroke) {
        this.remember();
        this.strokes += 1;
        this.keyStroke = true;
      }
      this.paintLine(from, this.cursor);
      this.changed();
    } else if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      this.remember();
      this.strokes += 1;
      this.cursorShown = true;
      this.paintCell(...this.cursor);
      this.changed();
    }
  }

  // ------------------------------------------------------------ drawing on screen

  render() {
    const { canvas, context } = this;
    const cell = canvas.width / SIZE;
    const image = context.createImageData(canvas.width, canvas.height);
    const data = image.data;
    for (let r = 0; r < SIZE; r += 1) {
      for (let c = 0; c < SIZE; c += 1) {
        const index = r * SIZE + c;
        let rgb;
        if (this.masks) {
          const base = this.background ? this.background[index] * 255 : 0;
          rgb = [base, base, base];
          for (const [name, colour] of Object.entries(COLOURS)) {
            const layer = this.layers.get(name);
            if (layer && layer[index] > 0.5) {
              rgb = rgb.map((v, i) => v * (1 - OVERLAY_ALPHA) + colour[i] * OVERLAY_ALPHA);
            }
          }
        } else {
          const v = this.layers.get(this.layerNames[0])[index] * 255;
          rgb = [v, v, v];
        }
        const x0 = Math.round(c * cell);
        const x1 = Math.round((c + 1) * cell);
        const y0 = Math.round(r * cell);
        const y1 = Math.round((r + 1) * cell);
        for (let y = y0; y < y1; y += 1) {
          for (let x = x0; x < x1; x += 1) {
            const offset = (y * canvas.width + x) * 4;
            // A faint grid line on each cell's first row and column shows where pixels are.
            const line = x === x0 || y === y0 ? 28 : 0;
            data[offset] = Math.min(255, rgb[0] + line);
            data[offset + 1] = Math.min(255, rgb[1] + line);
            data[offset + 2] = Math.min(255, rgb[2] + line);
            data[offset + 3] = 255;
          }
        }
      }
    }
    context.putImageData(image, 0, 0);
    if (this.cursorShown) {
      // The cells the brush covers at the cursor, in a colour no drawing or mask uses.
      const low = -Math.floor((this.size - 1) / 2);
      const [row, col] = this.cursor;
      context.strokeStyle = "#22d3ee";
      context.lineWidth = 2;
      context.strokeRect((col + low) * cell + 1, (row + low) * cell + 1, this.size * cell - 2, this.size * cell - 2);
    }
  }
}

// Yellow and red masks drawn on a transparent canvas laid over a class thumbnail.
export function renderOverlay(canvas, highlight) {
  canvas.width = SIZE;
  canvas.height = SIZE;
  const context = canvas.getContext("2d");
  const image = context.createImageData(SIZE, SIZE);
  for (const [name, colour] of Object.entries(COLOURS)) {
    const mask = fromRows(highlight && highlight[name]);
    for (let i = 0; i < SIZE * SIZE; i += 1) {
      if (mask[i] <= 0.5) continue;
      image.data.set([...colour, Math.round(255 * OVERLAY_ALPHA)], i * 4);
    }
  }
  context.putImageData(image, 0, 0);
}

// A grayscale drawing at its own 28x28 size (CSS scales it up with crisp pixels).
export function renderPixels(canvas, rows) {
  canvas.width = SIZE;
  canvas.height = SIZE;
  const context = canvas.getContext("2d");
  const image = context.createImageData(SIZE, SIZE);
  const layer = fromRows(rows);
  for (let i = 0; i < SIZE * SIZE; i += 1) {
    const v = Math.round(layer[i] * 255);
    image.data.set([v, v, v, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
}

// The pixels of a 28x28 grayscale image at ``url`` (same origin), as nested rows in [0, 1].
export function pixelsFromImage(url) {
  return new Promise((resolve, reject) => {
    const picture = new Image();
    picture.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = SIZE;
      canvas.height = SIZE;
      const context = canvas.getContext("2d");
      context.drawImage(picture, 0, 0, SIZE, SIZE);
      const data = context.getImageData(0, 0, SIZE, SIZE).data;
      const layer = emptyLayer();
      for (let i = 0; i < SIZE * SIZE; i += 1) layer[i] = data[i * 4] / 255;
      resolve(toRows(layer));
    };
    picture.onerror = () => reject(new Error(`The image ${url} could not be loaded.`));
    picture.src = url;
  });
}
