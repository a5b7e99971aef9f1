#pragma once

#include <gtest/gtest.h>
#include <torch/serialize.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "tests/support/temp_dir.h"

namespace vedkit::testing {

// Debian's python3 has torch and torchvision; VEDKIT_PYTHON names another interpreter (on
// a machine whose PyTorch lives elsewhere).
inline std::string python() {
  const char* chosen = std::getenv("VEDKIT_PYTHON");
  return chosen != nullptr ? chosen : "/usr/bin/python3";
}

// Runs a peer script under tests/peers. A missing interpreter or a failing script fails the
// test, never skips it: parity is part of the contract, and CI installs the peer.
inline void run_peer(const std::string& script_and_args) {
  const std::string command = python() + " " + VEDKIT_SOURCE_DIR + "/tests/peers/" +
                              script_and_args;
  ASSERT_EQ(std::system(command.c_str()), 0)
      << "the Python peer failed: " << command
      << " (install python3-torch and python3-torchvision: scripts/setup.sh)";
}

// Reads a dict of tensors written by torch.save.
inline std::map<std::string, torch::Tensor> load_tensor_dict(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  std::map<std::string, torch::Tensor> out;
  for (const auto& entry : torch::pickle_load(bytes).toGenericDict()) {
    out[entry.key().toStringRef()] = entry.value().toTensor();
  }
  return out;
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace vedkit::testing
