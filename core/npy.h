#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace vedkit {

// Writes a tensor as a NumPy .npy file (format 1.0, little-endian float32, C order), which
// numpy.load reads as it is. A failure to write is a DataError naming the path.
void write_npy(const std::string& path, const at::Tensor& tensor);

}  // namespace vedkit
