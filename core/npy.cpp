#include "core/npy.h"

#include <ATen/ATen.h>

#include <fstream>

#include "core/error.h"

namespace vedkit {

void write_npy(const std::string& path, const at::Tensor& tensor) {
  const auto values = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
  std::string shape = "(";
  for (const int64_t size : values.sizes()) shape += std::to_string(size) + ", ";
  if (values.dim() > 1) shape.erase(shape.size() - 2, 1);  // (3, 4) but (3,)
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  const uint16_t length = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(length & 0xff));
  out.put(static_cast<char>(length >> 8));
  out << header;
  out.write(static_cast<const char*>(values.data_ptr()), static_cast<std::streamsize>(values.nbytes()));
  if (!out) throw DataError(path + ": cannot write the .npy file");
}

}  // namespace vedkit
