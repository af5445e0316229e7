// Python bindings for cpp/netsim (filled in by the netsim work).
#include "register.hpp"

namespace cbcs::bindings {

void register_netsim(pybind11::module_& m) { (void)m; }

}  // namespace cbcs::bindings
