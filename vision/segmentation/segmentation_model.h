#pragma once

#include <torch/nn/modules/conv.h>

#include "core/config.h"
#include "vision/decoders/heads/segmentation_head.h"
#include "vision/decoders/unet/unet_decoder.h"
#include "vision/encoders/encoder.h"
#include "vision/inference/lazy_conv_graph.h"

namespace vedkit {

// Images arrive in [0, 1]; the model normalises them itself, so a model file needs nothing
// else at inference.
struct NormalizationOptions {
  std::vector<double> mean;
  std::vector<double> std;
};

NormalizationOptions read_normalization_options(ConfigSection section, int64_t in_channels);

// [B, C, H, W] in [0, 1] -> logits [B, K, H, W]: the encoder, then either the U-Net decoder
// and a 3x3 head, or a torchvision head (FCN, DeepLabV3, LR-ASPP) whose coarser logits are
// upsampled bilinearly, as torchvision does. H and W must be multiples of size_multiple();
// predict.h pads any other size.
class SegmentationModelImpl : public torch::nn::Module {
 public:
  SegmentationModelImpl(Encoder encoder, const UnetDecoderOptions& decoder_options,
                        int64_t num_classes, const NormalizationOptions& normalization);
  // A torchvision head, registered as "decoder" (its tensors: decoder.*).
  SegmentationModelImpl(Encoder encoder, SegmentationHead head, int64_t num_classes,
                        const NormalizationOptions& normalization);

  torch::Tensor forward(const torch::Tensor& images);

  // eval(), batch-norm folded into the convolutions, channels-last weights. Float32 inference
  // then runs the whole network as one oneDNN graph where it can (lazy_conv_graph.h).
  void prepare_for_inference();
  bool channels_last() const { return channels_last_; }

  // Int8 inference (vedkit-export --int8), after prepare_for_inference(): the largest
  // magnitude of each value of the inference graph over images ([B, C, H, W] in [0, 1], sizes
  // the model takes); use_int8 then runs the graph's convolutions in int8 at those ranges
  // (conv_graph_runner.h), or throws if they were calibrated on another graph.
  std::vector<float> calibrate_int8(const std::vector<torch::Tensor>& images) const;
  void use_int8(std::vector<float> ranges);
  // Which of the graph's ops run in int8 and which in float32.
  std::string int8_layers() const;

  int64_t num_classes() const { return num_classes_; }
  int64_t in_channels() const { return encoder_->in_channels(); }
  // Large images run as tiles of this side by default (predict.h): 512 for the U-Net; 0 (the
  // whole image) for a torchvision head, whose pooling sees the whole image in torchvision.
  int64_t default_tile_size() const { return head_module_ ? 0 : 512; }
  // 1 with a torchvision head: any size runs, as in torchvision.
  int64_t size_multiple() const { return head_module_ ? 1 : encoder_->size_multiple(); }
  const Encoder& encoder() const { return encoder_; }

 private:
  Encoder encoder_;
  UnetDecoder decoder_{nullptr};
  torch::nn::Conv2d head_{nullptr};
  SegmentationHead head_module_;  // instead of decoder_ and head_
  torch::Tensor mean_, std_;
  int64_t num_classes_;
  bool channels_last_ = false;
  LazyConvGraph graph_{[this] { return describe(); }};
  std::shared_ptr<ConvGraph> describe() const;
  std::shared_ptr<ConvGraph> inference_graph() const;
  void register_normalization(const NormalizationOptions& normalization);
};
TORCH_MODULE(SegmentationModel);

// Builds from `model.encoder`, `model.decoder` (type: unet | fcn | deeplabv3 | lraspp,
// num_classes, the type's options) and `model.normalize`.
SegmentationModel build_segmentation_model(ConfigSection model_section);

}  // namespace vedkit

namespace vedkit {

struct LoadedSegmentationModel {
  SegmentationModel model{nullptr};
  std::vector<std::string> class_names;  // from the file's vocabulary
};

// Rebuilds the model from a model file's own config and loads its weights, ready for
// inference (prepare_for_inference() done), in float32 or bfloat16 (about twice as fast on
// CPUs with AVX-512 BF16 or AMX; bench/README.md). A file of another task is a ModelFileError.
LoadedSegmentationModel load_segmentation_model(const std::string& path,
                                                const std::string& precision = "float32");

}  // namespace vedkit
