// The room mixer: one sum per round, every mix from it (see RoomMixer.hpp).
#include "cbcs/mix/RoomMixer.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::mix {
namespace {

void Check(bool ok, const std::string& what, int got) {
  if (!ok) throw ConfigError(what + ", got " + std::to_string(got));
}

int16_t Saturate(int32_t v) noexcept {
  return static_cast<int16_t>(std::clamp<int32_t>(v, INT16_MIN, INT16_MAX));
}

}  // namespace

RoomMixer::RoomMixer(const RoomMixerConfig& config) : config_(config) {
  Check(config.max_speakers >= 1 && config.max_speakers <= 64,
        "max_speakers: expected 1..64", config.max_speakers);
  Check(config.max_mixes >= 1 && config.max_mixes <= 1024, "max_mixes: expected 1..1024",
        config.max_mixes);
  Check(config.max_round_samples >= 1 && config.max_round_samples <= 48000,
        "max_round_samples: expected 1..48000", config.max_round_samples);
  Check(config.queue_samples >= config.max_round_samples && config.queue_samples <= 480000,
        "queue_samples: expected max_round_samples..480000", config.queue_samples);
  const auto speakers = static_cast<std::size_t>(config.max_speakers);
  const auto round = static_cast<std::size_t>(config.max_round_samples);
  rings_.assign(speakers * static_cast<std::size_t>(config.queue_samples), 0);
  queues_.assign(speakers, Queue{});
  frames_.assign(speakers * round, 0);
  sum_.assign(round, 0);
  acc_.assign(round, 0);
  outputs_.assign(static_cast<std::size_t>(config.max_mixes) * round, 0);
  masks_.assign(static_cast<std::size_t>(config.max_mixes), 0);
}

int RoomMixer::Push(int speaker, std::span<const int16_t> pcm) noexcept {
  if (speaker < 0 || speaker >= config_.max_speakers) return -1;
  const auto cap = static_cast<std::size_t>(config_.queue_samples);
  Queue& q = queues_[speaker];
  int16_t* ring = rings_.data() + static_cast<std::size_t>(speaker) * cap;
  std::size_t dropped = 0;
  if (pcm.size() > cap) {  // only the newest `cap` samples can stay
    dropped = q.size + (pcm.size() - cap);
    pcm = pcm.subspan(pcm.size() - cap);
    q = Queue{};
  } else if (q.size + pcm.size() > cap) {
    dropped = q.size + pcm.size() - cap;
    q.head = (q.head + dropped) % cap;
    q.size -= dropped;
  }
  std::size_t tail = (q.head + q.size) % cap;
  std::size_t done = 0;
  while (done < pcm.size()) {
    const std::size_t run = std::min(pcm.size() - done, cap - tail);
    std::memcpy(ring + tail, pcm.data() + done, run * sizeof(int16_t));
    done += run;
    tail = (tail + run) % cap;
  }
  q.size += pcm.size();
  return static_cast<int>(dropped);
}

void RoomMixer::Clear(int speaker) noexcept {
  if (speaker >= 0 && speaker < config_.max_speakers) queues_[speaker] = Queue{};
}

int RoomMixer::Queued(int speaker) const noexcept {
  if (speaker < 0 || speaker >= config_.max_speakers) return 0;
  return static_cast<int>(queues_[speaker].size);
}

bool RoomMixer::SetMixes(std::span<const SpeakerMask> masks) noexcept {
  if (masks.size() > static_cast<std::size_t>(config_.max_mixes)) return false;
  std::copy(masks.begin(), masks.end(), masks_.begin());
  mixes_ = static_cast<int>(masks.size());
  round_ = 0;  // outputs of the old masks are gone
  return true;
}

int16_t* RoomMixer::Frame(int speaker) noexcept {
  return frames_.data() +
         static_cast<std::size_t>(speaker) * static_cast<std::size_t>(config_.max_round_samples);
}

int16_t* RoomMixer::Out(int mix) noexcept {
  return outputs_.data() +
         static_cast<std::size_t>(mix) * static_cast<std::size_t>(config_.max_round_samples);
}

// Moves up to n samples of a speaker's queue into its frame, silence after what it had.
void RoomMixer::Take(int speaker, int n) noexcept {
  const auto cap = static_cast<std::size_t>(config_.queue_samples);
  Queue& q = queues_[speaker];
  const int16_t* ring = rings_.data() + static_cast<std::size_t>(speaker) * cap;
  int16_t* frame = Frame(speaker);
  const std::size_t want = static_cast<std::size_t>(n);
  const std::size_t got = std::min(want, q.size);
  const std::size_t first = std::min(got, cap - q.head);
  std::memcpy(frame, ring + q.head, first * sizeof(int16_t));
  std::memcpy(frame + first, ring, (got - first) * sizeof(int16_t));
  std::memset(frame + got, 0, (want - got) * sizeof(int16_t));
  q.head = (q.head + got) % cap;
  q.size -= got;
}

int RoomMixer::Mix(int n) noexcept {
  n = std::min(n, config_.max_round_samples);
  if (n <= 0) {
    round_ = 0;
    active_ = 0;
    return 0;
  }
  round_ = n;
  active_ = 0;
  for (int s = 0; s < config_.max_speakers; ++s) {
    if (queues_[s].size == 0) continue;
    Take(s, n);
    active_ |= SpeakerMask{1} << s;
  }
  // the one sum of the round
  std::fill_n(sum_.begin(), n, 0);
  for (SpeakerMask left = active_; left; left &= left - 1) {
    const int16_t* frame = Frame(std::countr_zero(left));
    for (int i = 0; i < n; ++i) sum_[i] += frame[i];
  }
  for (int m = 0; m < mixes_; ++m) {
    int16_t* out = Out(m);
    const SpeakerMask heard = masks_[m] & active_;
    const SpeakerMask unheard = active_ & ~masks_[m];
    if (heard == 0) {
      std::fill_n(out, n, int16_t{0});
      continue;
    }
    const int32_t* from = sum_.data();
    if (unheard != 0) {
      // the cheaper way to this mix: remove the few it does not hear, or add the few it does
      const bool subtract = std::popcount(unheard) <= std::popcount(heard);
      if (subtract) {
        std::copy_n(sum_.begin(), n, acc_.begin());
      } else {
        std::fill_n(acc_.begin(), n, 0);
      }
      for (SpeakerMask left = subtract ? unheard : heard; left; left &= left - 1) {
        const int16_t* frame = Frame(std::countr_zero(left));
        if (subtract) {
          for (int i = 0; i < n; ++i) acc_[i] -= frame[i];
        } else {
          for (int i = 0; i < n; ++i) acc_[i] += frame[i];
        }
      }
      from = acc_.data();
    }
    for (int i = 0; i < n; ++i) out[i] = Saturate(from[i]);
  }
  return n;
}

std::span<const int16_t> RoomMixer::Output(int mix) const noexcept {
  if (mix < 0 || mix >= mixes_) return {};
  return {outputs_.data() + static_cast<std::size_t>(mix) *
                                static_cast<std::size_t>(config_.max_round_samples),
          static_cast<std::size_t>(round_)};
}

}  // namespace cbcs::mix
