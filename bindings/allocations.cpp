// Counts operator new calls made by code inside cbcs._core, so benchmarks and tests can
// show that the per-packet and per-frame paths allocate nothing.
//
// The module is linked with hidden visibility, so these replacements bind only to the
// core and binding code in this shared object; memory still comes from malloc, so blocks
// freed here that libstdc++ allocated (or the reverse) stay consistent.
#include <atomic>
#include <cstdlib>
#include <new>

#include "register.hpp"

namespace {
std::atomic<unsigned long long> g_allocations{0};

void* CountedAlloc(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return CountedAlloc(size); }
void* operator new[](std::size_t size) { return CountedAlloc(size); }
// The nothrow forms too: std::stable_sort and friends use them, and a mismatch between a
// replaced delete and the library's nothrow new is what ASan reports.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return CountedAlloc(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace cbcs::bindings {

void register_allocations(pybind11::module_& m) {
  m.def(
      "allocation_count", [] { return g_allocations.load(std::memory_order_relaxed); },
      "Number of C++ heap allocations made inside cbcs._core since import.");
}

}  // namespace cbcs::bindings
