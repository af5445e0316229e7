// Python bindings for cpp/rtp (filled in by the rtp work).
#include "register.hpp"

namespace cbcs::bindings {

void register_rtp(pybind11::module_& m) { (void)m; }

}  // namespace cbcs::bindings
