// Skin smoothing applied in the page before a camera frame is sent, as live-streaming SDKs
// do: a blur blended in only where the colour is skin-like and no edge is near.
//
//   const filter = new BeautyFilter(cameraTrack, {strength: 0.6});
//   pc.addTrack(filter.track, stream);      // the filtered track; filter.setStrength(0) is off
//
// Frames go through an insertable stream (MediaStreamTrackProcessor -> Generator), filtered
// in a worker (beauty-worker.js; on this thread where streams cannot be transferred). Per frame,
// the pixel work is done at half resolution and the full-resolution work by the canvas
// (native, vectorised): the frame is scaled down by 4 with a small blur and back up to half
// size (the smoothed skin), compared with a plain half-size copy: where the plain copy's
// Cb/Cr fall in the skin range, the smoothed pixel gets an alpha of strength x (1 - e^2), e
// being how far the blur moved it relative to an edge's worth (noise is smoothed; edges,
// eyes and hair stay), else 0. That half-size layer is drawn over the full frame, scaled up
// (bilinear, so the mask's borders are soft). Only 320x240 pixels pass through JavaScript,
// and the frame is converted from YUV once: 5-8 ms per 640x480 frame here with the
// machine's two cores shared (the whole-frame loop it replaced took 9-14 ms).

const SKIN_CB = [77, 127];
const SKIN_CR = [133, 173];
const EDGE = 100;  // summed |blur - pixel| over R, G, B at which a pixel counts as an edge

export class BeautyFilter {
  /** ``pipe`` false: no streams, the caller feeds frame() (tests, the worker); ``worker``
   * false: the frames are filtered on this thread (by default in a worker of their own,
   * beauty-worker.js, so the page's own work never holds a frame up). */
  constructor(track, {strength = 0.6, pipe = true, worker = true, width, height} = {}) {
    this.strength = strength;
    this.costs = [];
    const settings = track && track.getSettings ? track.getSettings() : {};
    this.size(width || settings.width || 640, height || settings.height || 480);
    if (!pipe) return;
    if (typeof MediaStreamTrackProcessor === "undefined") {
      throw new Error("this browser has no insertable streams: the filter needs them");
    }
    const processor = new MediaStreamTrackProcessor({track});
    const generator = new MediaStreamTrackGenerator({kind: "video"});
    this.track = generator;
    if (worker && typeof Worker !== "undefined") {
      try {
        const w = new Worker(new URL("./beauty-worker.js", import.meta.url), {type: "module"});
        w.onmessage = (ev) => { if (ev.data && ev.data.costs) this._cost(...ev.data.costs); };
        w.postMessage({readable: processor.readable, writable: generator.writable,
                       strength: this.strength, width: this.w, height: this.h},
                      [processor.readable, generator.writable]);
        this.worker = w;
        return;
      } catch {
        if (this.worker) this.worker.terminate();
        this.worker = null;   // streams that cannot be transferred: this thread does it
      }
    }
    this.abort = new AbortController();
    processor.readable
      .pipeThrough(new TransformStream({transform: (frame, out) => this.frame(frame, out)}))
      .pipeTo(generator.writable, {signal: this.abort.signal})
      .catch(() => {});
  }

  _cost(...ms) {
    this.costs.push(...ms);
    if (this.costs.length > 300) this.costs.splice(0, this.costs.length - 300);
  }

  size(width, height) {
    this.w = width;
    this.h = height;
    this.canvas = new OffscreenCanvas(width, height);
    this.ctx = this.canvas.getContext("2d", {alpha: false});
    const hw = Math.max(1, width >> 1), hh = Math.max(1, height >> 1);
    this.half = new OffscreenCanvas(hw, hh);     // plain copy, then the masked smooth layer
    this.hctx = this.half.getContext("2d", {willReadFrequently: true});
    this.hctx.imageSmoothingQuality = "low";
    this.small = new OffscreenCanvas(Math.max(1, width >> 2), Math.max(1, height >> 2));
    this.sctx = this.small.getContext("2d");
    this.sctx.filter = "blur(1.5px)";
  }

  setStrength(value) {
    this.strength = Math.max(0, Math.min(1, value));
    if (this.worker) this.worker.postMessage({strength: this.strength});
  }

  frame(frame, out) {
    if (this.strength <= 0) {
      out.enqueue(frame);
      return;
    }
    const started = performance.now();
    const fw = frame.displayWidth || frame.codedWidth, fh = frame.displayHeight || frame.codedHeight;
    if (fw && fh && (fw !== this.w || fh !== this.h)) this.size(fw, fh);
    const {w, h, ctx, hctx, half, small} = this;
    const hw = half.width, hh = half.height;
    const ts = frame.timestamp;
    // the frame's pixels are converted (YUV to RGB) once, by this first draw (each draw of
    // the VideoFrame itself would convert it again: about 2 ms apiece); the smaller copies
    // are scaled from the canvas
    ctx.drawImage(frame, 0, 0, w, h);
    frame.close();
    hctx.drawImage(this.canvas, 0, 0, hw, hh);
    const plain = hctx.getImageData(0, 0, hw, hh).data;
    this.sctx.drawImage(half, 0, 0, small.width, small.height);
    hctx.drawImage(small, 0, 0, hw, hh);
    const layer = hctx.getImageData(0, 0, hw, hh);
    const blur = layer.data;
    const k = this.strength * 255;
    for (let i = 0; i < plain.length; i += 4) {
      const r = plain[i], g = plain[i + 1], b = plain[i + 2];
      // Cb, Cr (BT.601, full range) in integers: (x * 256) >> 8
      const cb = 128 + ((-43 * r - 85 * g + 128 * b) >> 8);
      const cr = 128 + ((128 * r - 107 * g - 21 * b) >> 8);
      let a = 0;
      if (cb >= SKIN_CB[0] && cb <= SKIN_CB[1] && cr >= SKIN_CR[0] && cr <= SKIN_CR[1]) {
        const d = Math.abs(blur[i] - r) + Math.abs(blur[i + 1] - g) + Math.abs(blur[i + 2] - b);
        if (d < EDGE) {
          const e = d / EDGE;
          a = k * (1 - e * e);   // full smoothing for noise, none at edges
        }
      }
      blur[i + 3] = a;
    }
    hctx.putImageData(layer, 0, 0);
    ctx.drawImage(half, 0, 0, w, h);
    out.enqueue(new VideoFrame(this.canvas, {timestamp: ts}));
    const cost = performance.now() - started;
    this._cost(cost);
    return cost;
  }

  /** Mean milliseconds per frame over the last 300 frames. */
  meanCostMs() {
    return this.costs.reduce((a, b) => a + b, 0) / Math.max(1, this.costs.length);
  }

  stop() {
    if (this.abort) this.abort.abort();
    if (this.worker) {
      this.worker.postMessage({stop: true});
      this.worker.terminate();
      this.worker = null;
    }
  }
}
