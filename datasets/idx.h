#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace vedkit {

// Reads an IDX file (the format of MNIST and Fashion-MNIST), gzip'd or raw, into a uint8 tensor
// with the dimensions its header declares. Only the unsigned-byte type (0x08) is supported.
// Throws DataError naming the file when it is missing, not IDX, of another type or truncated.
at::Tensor read_idx(const std::string& path);

}  // namespace vedkit
