#include "vision/decoders/heads/segmentation_head.h"

#include "core/registry.h"
#include "vision/decoders/heads/deeplabv3_head.h"
#include "vision/decoders/heads/fcn_head.h"
#include "vision/decoders/heads/lraspp_head.h"

namespace vedkit {
namespace {

using HeadRegistry = Registry<SegmentationHead, const std::vector<PyramidLevel>&, int64_t>;

SegmentationHead build_fcn(ConfigSection& section, const std::vector<PyramidLevel>& pyramid,
                           int64_t num_classes) {
  const int64_t in_channels = pyramid.back().channels;
  const int64_t channels =
      section.get_int("channels", std::max<int64_t>(1, in_channels / 4), {1, 4096});
  return std::make_shared<FcnHeadImpl>(in_channels, channels, num_classes);
}

SegmentationHead build_deeplabv3(ConfigSection& section, const std::vector<PyramidLevel>& pyramid,
                                 int64_t num_classes) {
  const auto rates = section.get_ints("rates", std::vector<int64_t>{12, 24, 36}, {1, 256});
  const int64_t channels = section.get_int("channels", 256, {1, 4096});
  return std::make_shared<DeepLabV3HeadImpl>(pyramid.back().channels, rates, channels, num_classes);
}

SegmentationHead build_lraspp(ConfigSection& section, const std::vector<PyramidLevel>& pyramid,
                              int64_t num_classes) {
  const int64_t low_stride = section.get_int("low_stride", 8, {1, 64});
  int64_t low_level = -1;
  for (size_t i = 0; i + 1 < pyramid.size() && low_level < 0; ++i) {
    if (pyramid[i].stride == low_stride) low_level = static_cast<int64_t>(i);
  }
  if (low_level < 0) {
    std::string strides;
    for (size_t i = 0; i + 1 < pyramid.size(); ++i) {
      strides += (i ? ", " : "") + std::to_string(pyramid[i].stride);
    }
    section.fail("low_stride", "the encoder has no level at stride " + std::to_string(low_stride) +
                                   " below its coarsest; its levels' strides are " + strides);
  }
  const int64_t channels = section.get_int("channels", 128, {1, 4096});
  return std::make_shared<LrasppHeadImpl>(low_level, pyramid[low_level].channels,
                                          pyramid.back().channels, channels, num_classes);
}

}  // namespace

SegmentationHead build_segmentation_head(ConfigSection& section,
                                         const std::vector<PyramidLevel>& pyramid,
                                         int64_t num_classes) {
  static const HeadRegistry registry = HeadRegistry()
                                           .add("fcn", build_fcn)
                                           .add("deeplabv3", build_deeplabv3)
                                           .add("lraspp", build_lraspp);
  return registry.build(section, pyramid, num_classes);
}

}  // namespace vedkit
