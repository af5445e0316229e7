// Python bindings for cpp/jitter (filled in by the jitter work).
#include "register.hpp"

namespace cbcs::bindings {

void register_jitter(pybind11::module_& m) { (void)m; }

}  // namespace cbcs::bindings
