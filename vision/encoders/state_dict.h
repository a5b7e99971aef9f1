#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace vedkit {

using StateDict = std::vector<std::pair<std::string, at::Tensor>>;

// Reads a dict of tensors saved by Python's torch.save (scripts/import_torchvision.py writes
// one). A missing file or anything but a name -> tensor dict is a vedkit::Error.
StateDict read_state_dict(const std::string& path);

// The tensor called name, or an undefined tensor.
at::Tensor find_tensor(const StateDict& state, const std::string& name);

// Transforms a state tensor before it is checked against the module (name, tensor) -> tensor.
using StateAdapter = std::function<at::Tensor(const std::string&, const at::Tensor&)>;

// Copies state into module's parameters and buffers by name and returns how many were copied.
// Everything is checked first, so a bad state leaves the module as it was: a name in the
// state the module lacks, a tensor the module has that the state lacks, or a shape mismatch is
// a vedkit::Error naming it. Names under ignored_prefixes (a classifier head, vedkit's own
// pyramid layers) are skipped on both sides.
int64_t copy_state(torch::nn::Module& module, const StateDict& state,
                   const std::vector<std::string>& ignored_prefixes, const StateAdapter& adapt = {});

// "[64, 3, 7, 7]"
std::string shape_text(const at::Tensor& tensor);

// Adapts RGB filters [O, 3, k, k] to in_channels: one channel sums them; other counts repeat
// them cyclically, scaled by 3 / in_channels. Returns a note for the log.
at::Tensor adapt_input_filters(const at::Tensor& rgb_weight, int64_t in_channels,
                               const std::string& name, std::string& note);

}  // namespace vedkit
