// The beauty filter's worker: the camera's frames in (a ReadableStream of VideoFrames), the
// smoothed frames out (a WritableStream), off the page's main thread. Messages:
// {readable, writable, strength, width, height} to start, {strength} to change it,
// {stop: true} to end; it posts {costs: [ms, ...]} for the frames it filtered.
import {BeautyFilter} from "./beauty.js";

let filter = null;
let abort = null;
let pending = [];

onmessage = ({data}) => {
  if (data.readable && data.writable && !filter) {
    filter = new BeautyFilter(null, {strength: data.strength, pipe: false,
                                     width: data.width, height: data.height});
    abort = new AbortController();
    data.readable
      .pipeThrough(new TransformStream({
        transform: (frame, out) => {
          const cost = filter.frame(frame, out);
          if (cost !== undefined) pending.push(cost);
          if (pending.length >= 15) { postMessage({costs: pending}); pending = []; }
        },
      }))
      .pipeTo(data.writable, {signal: abort.signal})
      .catch(() => {});
  } else if (typeof data.strength === "number" && filter) {
    filter.setStrength(data.strength);
    if (filter.strength <= 0) pending = [];   // off: nothing more to report
  } else if (data.stop && abort) {
    abort.abort();
  }
};
