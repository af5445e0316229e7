// AudioWorklet that hands every 128-sample render quantum of the received audio, with its
// render-clock time, to the page (which maps it to the machine's clock).
class Recorder extends AudioWorkletProcessor {
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) this.port.postMessage({t: currentTime, pcm: ch.slice(0)});
    return true;
  }
}
registerProcessor('cbcs-recorder', Recorder);
