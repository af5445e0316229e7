// Counts heap allocations made by the test binary, to prove hot paths allocate nothing.
#pragma once

#include <cstdint>

namespace cbcs::testing {

// Number of operator new calls since the program started (all threads).
uint64_t AllocationCount() noexcept;

}  // namespace cbcs::testing
