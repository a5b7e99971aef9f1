#pragma once

#include <cstdint>

namespace vedkit {

// dst = src * scale per channel, for maps in oneDNN's blocked layout (nChw8c or nChw16c:
// [batch][channels / block][spatial][block], channels padded to the block) and scale
// [batch][channels]. dst may be src. oneDNN's own binary primitive takes a reference kernel
// for this broadcast, about 100x slower.
void scale_blocked_channels(float* dst, const float* src, const float* scale, int64_t batch,
                            int64_t channels, int64_t spatial, int64_t block);

}  // namespace vedkit
