// A 1:1 voice or video call through the node: the page's RTCPeerConnection offers over the
// live channel (call.offer -> call.answer, ICE gathered before the offer, no trickle), the
// leg ends in the node (SRTP, its jitter buffer and captions), which bridges the parties.
//
//   const call = new Call(live, conversationId, {video: true, onRemote: (stream) => ...,
//                                                onState: (s) => ..., onQuality: (q) => ...});
//   await call.start();        // getUserMedia, offer, answer, connected
//   await call.setBeauty(true) // skin smoothing on the sent video (beauty.js), no renegotiation
//   call.hangUp();

import {watchQuality} from "./callstats.js";

export class CallError extends Error {
  constructor(code, message) { super(message); this.name = "CallError"; this.code = code; }
}

export class Call {
  constructor(live, conversation, {video = false, camera = {width: 640, height: 480, frameRate: 30},
                                   onRemote = () => {}, onState = () => {}, onQuality = () => {},
                                   beautyStrength = 0.6} = {}) {
    this.live = live;
    this.conversation = conversation;
    this.video = video;
    this.camera = camera;
    this.onRemote = onRemote;
    this.onState = onState;
    this.onQuality = onQuality;
    this.beautyStrength = beautyStrength;
    this.pc = null;
    this.local = null;        // the camera/microphone stream
    this.videoSender = null;
    this.filter = null;
    this.beauty = false;
    this.state = "idle";
    this._stopQuality = null;
    this._offEnd = null;
  }

  _set(state) {
    if (this.state === state) return;
    this.state = state;
    try { this.onState(state); } catch (exc) { console.error(exc); }
  }

  /** Microphone (and camera), offer, answer; resolves once connected. */
  async start() {
    if (this.pc) throw new CallError("busy", "this call has started already");
    this._set("starting");
    try {
      this.local = await navigator.mediaDevices.getUserMedia({
        audio: {echoCancellation: true, noiseSuppression: true, autoGainControl: true},
        video: this.video ? {width: this.camera.width, height: this.camera.height,
                             frameRate: this.camera.frameRate} : false});
    } catch (exc) {
      this._set("failed");
      throw new CallError("media", `no microphone${this.video ? " or camera" : ""}: ${exc.message}`);
    }
    const pc = this.pc = new RTCPeerConnection({iceServers: [], bundlePolicy: "max-bundle"});
    for (const track of this.local.getTracks()) {
      const sender = pc.addTrack(track, this.local);
      if (track.kind === "video") this.videoSender = sender;
    }
    pc.ontrack = (ev) => {
      try { this.onRemote(ev.streams[0] || new MediaStream([ev.track]), ev.track); } catch (exc) { console.error(exc); }
    };
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      if (s === "connected") this._set("connected");
      else if (s === "disconnected") this._set("reconnecting");
      else if (s === "failed") this._end("failed");
    };
    this._offEnd = this.live.on("*", (f) => {
      if (f.conversation !== this.conversation) return;
      if (f.type === "call.ended") this._end("ended");
    });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((ok) => {
      if (pc.iceGatheringState === "complete") return ok();
      pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") ok(); });
      setTimeout(ok, 3000);
    });
    this._set("offering");
    let answer;
    try {
      answer = await this.live.request(
        {type: "call.offer", conversation: this.conversation, sdp: pc.localDescription.sdp},
        (f) => f.type === "call.answer" && f.conversation === this.conversation);
    } catch (exc) {
      this._end("failed");
      throw new CallError(exc.code || "refused", exc.message);
    }
    await pc.setRemoteDescription({type: "answer", sdp: answer.sdp});
    this._stopQuality = watchQuality(pc, (q) => { try { this.onQuality(q); } catch (exc) { console.error(exc); } });
    await new Promise((ok, fail) => {
      const check = () => {
        if (pc.connectionState === "connected") ok();
        else if (pc.connectionState === "failed" || pc.connectionState === "closed") {
          fail(new CallError("connection", "the call did not connect"));
        }
      };
      pc.addEventListener("connectionstatechange", check);
      check();
      setTimeout(() => fail(new CallError("timeout", "the call did not connect in 20 s")), 20000);
    });
    return this;
  }

  /** Skin smoothing on the sent video, on or off (the camera's own track when off). */
  async setBeauty(on) {
    this.beauty = Boolean(on);
    if (!this.videoSender || !this.local) return this.beauty;
    const camera = this.local.getVideoTracks()[0];
    if (this.beauty && !this.filter) {
      const {BeautyFilter} = await import("../beauty.js");
      this.filter = new BeautyFilter(camera, {strength: this.beautyStrength});
    }
    if (this.filter) this.filter.setStrength(this.beauty ? this.beautyStrength : 0);
    await this.videoSender.replaceTrack(this.beauty ? this.filter.track : camera);
    return this.beauty;
  }

  /** The track the page shows as "me" (the filtered one while the filter is on). */
  previewTrack() {
    if (!this.local) return null;
    return this.beauty && this.filter ? this.filter.track : this.local.getVideoTracks()[0] || null;
  }

  setMuted(muted) {
    for (const tr of this.local?.getAudioTracks() ?? []) tr.enabled = !muted;
  }

  /** End this party's leg. */
  hangUp() {
    if (this.state === "ended" || this.state === "idle") return;
    this.live.send({type: "call.hangup", conversation: this.conversation});
    this._end("ended");
  }

  _end(state) {
    if (this._stopQuality) { this._stopQuality(); this._stopQuality = null; }
    if (this._offEnd) { this._offEnd(); this._offEnd = null; }
    if (this.filter) { this.filter.stop(); this.filter = null; }
    for (const tr of this.local?.getTracks() ?? []) tr.stop();
    if (this.pc) { this.pc.close(); }
    this._set(state);
  }
}
