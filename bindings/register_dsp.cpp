// Python bindings for cpp/dsp (filled in by the dsp work).
#include "register.hpp"

namespace cbcs::bindings {

void register_dsp(pybind11::module_& m) { (void)m; }

}  // namespace cbcs::bindings
