// libFuzzer target: the denoiser's gain-model blob parser, then one frame through the model.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/dsp/GainModel.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    cbcs::dsp::GainModel model(std::span(data, size), cbcs::dsp::Kernels::Portable());
    std::vector<float> in(model.Inputs(), 0.5f), out(model.Outputs());
    model.Run(in, out);
  } catch (const cbcs::ConfigError&) {
    // Rejected blobs are the expected outcome for most inputs.
  }
  return 0;
}
