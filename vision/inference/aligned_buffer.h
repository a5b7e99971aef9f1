#pragma once

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>

namespace vedkit {

// Memory on a 64-byte boundary (a cache line, an AVX-512 vector), freed with std::free.
struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<void, AlignedFree>;

inline AlignedBuffer aligned_buffer(size_t bytes) {
  void* p = std::aligned_alloc(64, (std::max<size_t>(bytes, 1) + 63) / 64 * 64);
  if (!p) throw std::bad_alloc();
  return AlignedBuffer(p);
}

}  // namespace vedkit
