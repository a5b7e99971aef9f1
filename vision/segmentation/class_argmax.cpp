#include "vision/segmentation/class_argmax.h"

#include <cmath>

namespace vedkit {

void argmax_over_classes(const float* scores, int64_t pixels, int64_t classes, int64_t* out) {
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < pixels; ++p) {
    const float* s = scores + p * classes;
    int64_t best = 0;
    for (int64_t k = 1; k < classes && !std::isnan(s[best]); ++k) {
      if (s[k] > s[best] || std::isnan(s[k])) best = k;
    }
    out[p] = best;
  }
}

}  // namespace vedkit
