// The one exception type the core throws: invalid configuration at construction time.
#pragma once

#include <stdexcept>
#include <string>

namespace cbcs {

// Thrown only by constructors and setup calls, never per packet or frame.
// The binding maps it to cbcs.ConfigError (a ValueError).
class ConfigError : public std::invalid_argument {
 public:
  explicit ConfigError(const std::string& what) : std::invalid_argument(what) {}
};

}  // namespace cbcs
