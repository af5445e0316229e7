// cbcs._core: the private compiled module. One register_<area>() per area of the core.
#include <pybind11/pybind11.h>

#include "register.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "cbcs media core (private; use cbcs.media)";
  cbcs::bindings::register_errors(m);
  cbcs::bindings::register_allocations(m);
  cbcs::bindings::register_netsim(m);
  cbcs::bindings::register_jitter(m);
  cbcs::bindings::register_quality(m);
  cbcs::bindings::register_rtp(m);
  cbcs::bindings::register_fec(m);
  cbcs::bindings::register_cc(m);
  cbcs::bindings::register_dsp(m);
  cbcs::bindings::register_rtc(m);
  cbcs::bindings::register_mix(m);
}
