// Python bindings for cpp/cc (filled in by the cc work).
#include "register.hpp"

namespace cbcs::bindings {

void register_cc(pybind11::module_& m) { (void)m; }

}  // namespace cbcs::bindings
