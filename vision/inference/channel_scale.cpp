#include "vision/inference/channel_scale.h"

namespace vedkit {

void scale_blocked_channels(float* dst, const float* src, const float* scale, int64_t batch,
                            int64_t channels, int64_t spatial, int64_t block) {
  const int64_t blocks = (channels + block - 1) / block;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t b = 0; b < blocks; ++b) {
      float factors[16] = {};  // padded channels stay 0
      for (int64_t c = 0; c < block && b * block + c < channels; ++c) {
        factors[c] = scale[n * channels + b * block + c];
      }
      const int64_t offset = (n * blocks + b) * spatial * block;
      const float* in = src + offset;
      float* out = dst + offset;
      for (int64_t p = 0; p < spatial; ++p) {
        for (int64_t c = 0; c < block; ++c) out[p * block + c] = in[p * block + c] * factors[c];
      }
    }
  }
}

}  // namespace vedkit
