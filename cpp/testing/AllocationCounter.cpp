// Replaces the global operator new/delete of the test binary with counting versions.
#include "AllocationCounter.hpp"

#include "CountingOperatorNew.inl"

uint64_t cbcs::testing::AllocationCount() noexcept {
  return g_allocations.load(std::memory_order_relaxed);
}
