// Declarations of the per-area registration functions called by module.cpp.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <span>

#include "cbcs/jitter/JitterBuffer.hpp"

namespace cbcs::bindings {

void register_errors(pybind11::module_& m);
void register_allocations(pybind11::module_& m);
void register_netsim(pybind11::module_& m);
void register_jitter(pybind11::module_& m);
void register_quality(pybind11::module_& m);
void register_rtp(pybind11::module_& m);
void register_fec(pybind11::module_& m);
void register_cc(pybind11::module_& m);
void register_dsp(pybind11::module_& m);
void register_rtc(pybind11::module_& m);
void register_mix(pybind11::module_& m);

// The bytes of a Python bytes object, without copying (valid while the object lives).
inline std::span<const uint8_t> BytesView(const pybind11::bytes& b) {
  char* data = nullptr;
  Py_ssize_t len = 0;
  PyBytes_AsStringAndSize(b.ptr(), &data, &len);
  return {reinterpret_cast<const uint8_t*>(data), static_cast<std::size_t>(len)};
}

// The core buffer inside a _core.JitterBuffer (TypeError for anything else); it lives as
// long as that Python object.
jitter::JitterBuffer& core_jitter_buffer(pybind11::handle jitter_buffer);

}  // namespace cbcs::bindings
