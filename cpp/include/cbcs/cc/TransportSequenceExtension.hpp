// The transport-wide sequence number RTP header extension (draft-holmer-rmcat-transport-wide-cc-
// extensions-01 section 2, and its transport-cc-02 form with a feedback request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cbcs::cc {

struct TransportSequenceExtension {
  static constexpr const char* kUri =
      "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
  static constexpr const char* kUri02 =
      "http://www.webrtc.org/experiments/rtp-hdrext/transport-wide-cc-02";

  // What a transport-cc-02 element may carry after the sequence number.
  struct FeedbackRequest {
    bool include_timestamps = true;
    uint16_t sequence_count = 0;  // 15 bits: how many packets back the feedback should cover
  };

  // Reads an element's value (2 bytes, or 4 with a feedback request). Returns false for any
  // other length. request is written only when the value carries one (has_request set).
  static bool Parse(std::span<const uint8_t> value, uint16_t* seq, bool* has_request,
                    FeedbackRequest* request) noexcept;
  // Writes the 2-byte value; returns 2, or 0 when out is too small.
  static size_t Write(std::span<uint8_t> out, uint16_t seq) noexcept;
  // Writes the 4-byte transport-cc-02 value with a feedback request; 0 when out is too small.
  static size_t WriteWithRequest(std::span<uint8_t> out, uint16_t seq,
                                 const FeedbackRequest& request) noexcept;
  // Writes a whole RFC 8285 one-byte-header element (ID | L=1, then the value): 3 bytes,
  // 0 when id is not 1..14 or out is too small.
  static size_t WriteOneByteElement(std::span<uint8_t> out, uint8_t id, uint16_t seq) noexcept;
};

}  // namespace cbcs::cc
