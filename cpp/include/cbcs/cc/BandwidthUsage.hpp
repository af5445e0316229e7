// The delay-based detector's verdict on the path, shared by the detector and the rate control.
#pragma once

#include <cstdint>

namespace cbcs::cc {

enum class BandwidthUsage : uint8_t { kNormal, kUnderusing, kOverusing };

}  // namespace cbcs::cc
