// Maps C++ exceptions of the core to the Python exception classes in cbcs.errors.
#include <pybind11/pybind11.h>

#include "cbcs/common/ConfigError.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace cbcs::bindings {

void register_errors(py::module_& m) {
  (void)m;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const cbcs::ConfigError& e) {
      // Imported lazily: cbcs.errors is pure Python and always importable with _core.
      static py::object config_error = py::module_::import("cbcs.errors").attr("ConfigError");
      py::set_error(config_error, e.what());
    }
  });
}

}  // namespace cbcs::bindings
