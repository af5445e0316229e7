// Counts operator new calls made by code inside cbcs._core, so benchmarks and tests can
// show that the per-packet and per-frame paths allocate nothing.
//
// The module is linked with hidden visibility, so these replacements bind only to the
// core and binding code in this shared object; memory still comes from malloc, so blocks
// freed here that libstdc++ allocated (or the reverse) stay consistent.
#include "../cpp/testing/CountingOperatorNew.inl"
#include "register.hpp"

namespace cbcs::bindings {

void register_allocations(pybind11::module_& m) {
  m.def(
      "allocation_count", [] { return g_allocations.load(std::memory_order_relaxed); },
      "Number of C++ heap allocations made inside cbcs._core since import.");
}

}  // namespace cbcs::bindings
