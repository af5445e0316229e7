// Python bindings for cpp/fec (filled in by the fec work).
#include "register.hpp"

namespace cbcs::bindings {

void register_fec(pybind11::module_& m) { (void)m; }

}  // namespace cbcs::bindings
