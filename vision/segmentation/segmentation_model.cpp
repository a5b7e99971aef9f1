#include "vision/segmentation/segmentation_model.h"

#include <torch/nn/functional/upsampling.h>

#include <stdexcept>

#include "core/error.h"
#include "core/model_file.h"
#include "core/precision.h"
#include "vision/inference/conv_graph_calibration.h"
#include "vision/inference/int8_model_file.h"

namespace vedkit {

NormalizationOptions read_normalization_options(ConfigSection section, int64_t in_channels) {
  const bool rgb = in_channels == 3;
  // ImageNet statistics for RGB (what torchvision's weights expect); mid-grey otherwise.
  NormalizationOptions options;
  options.mean = section.get_reals("mean", rgb ? std::vector<double>{0.485, 0.456, 0.406}
                                               : std::vector<double>(in_channels, 0.5));
  options.std = section.get_reals(
      "std",
      rgb ? std::vector<double>{0.229, 0.224, 0.225} : std::vector<double>(in_channels, 0.25),
      {1e-6, 1e6});
  const auto channels = std::to_string(in_channels);
  if (static_cast<int64_t>(options.mean.size()) != in_channels) {
    section.fail("mean", "expected " + channels + " values, one per input channel");
  }
  if (static_cast<int64_t>(options.std.size()) != in_channels) {
    section.fail("std", "expected " + channels + " values, one per input channel");
  }
  return options;
}

SegmentationModelImpl::SegmentationModelImpl(Encoder encoder,
                                             const UnetDecoderOptions& decoder_options,
                                             int64_t num_classes,
                                             const NormalizationOptions& normalization)
    : encoder_(register_module("encoder", std::move(encoder))), num_classes_(num_classes) {
  decoder_ = register_module("decoder", UnetDecoder(encoder_->pyramid(), decoder_options));
  head_ = register_module(
      "head", torch::nn::Conv2d(
                  torch::nn::Conv2dOptions(decoder_->out_channels(), num_classes, 3).padding(1)));
  register_normalization(normalization);
}

SegmentationModelImpl::SegmentationModelImpl(Encoder encoder, SegmentationHead head,
                                             int64_t num_classes,
                                             const NormalizationOptions& normalization)
    : encoder_(register_module("encoder", std::move(encoder))),
      head_module_(register_module("decoder", std::move(head))),
      num_classes_(num_classes) {
  register_normalization(normalization);
}

void SegmentationModelImpl::register_normalization(const NormalizationOptions& normalization) {
  const int64_t channels = static_cast<int64_t>(normalization.mean.size());
  mean_ = register_buffer(
      "mean", torch::tensor(normalization.mean, torch::kFloat).reshape({1, channels, 1, 1}));
  std_ = register_buffer(
      "std", torch::tensor(normalization.std, torch::kFloat).reshape({1, channels, 1, 1}));
}

torch::Tensor SegmentationModelImpl::forward(const torch::Tensor& images) {
  // Images come as float; a bfloat16 model computes in bfloat16 and answers in float.
  auto x = (images.to(mean_.scalar_type()) - mean_) / std_;
  auto outputs = graph_.run(x, is_training());
  if (!outputs.empty()) return outputs.front();
  if (channels_last_) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  if (!head_module_) {
    return head_->forward(decoder_->forward(encoder_->forward(x)))
        .to(images.scalar_type());  // [B, K, H, W]
  }
  namespace F = torch::nn::functional;
  const auto logits = head_module_->forward(encoder_->forward(x));  // [B, K, h, w]
  return F::interpolate(logits, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{images.size(2), images.size(3)})
                                    .mode(torch::kBilinear)
                                    .align_corners(false))
      .to(images.scalar_type());
}

std::shared_ptr<ConvGraph> SegmentationModelImpl::describe() const {
  auto graph = std::make_shared<ConvGraph>();
  const auto input = graph->input(encoder_->in_channels());
  const auto levels = encoder_->describe(*graph, input);
  if (head_module_) {
    if (levels.empty()) return nullptr;
    const auto logits = head_module_->describe(*graph, levels);  // [B, K, h, w]
    graph->output(graph->resize_bilinear(logits, input));        // [B, K, H, W]
    return graph;
  }
  if (levels.empty() || head_->weight.scalar_type() != torch::kFloat) return nullptr;
  const auto features = decoder_->describe(*graph, levels);
  if (features == ConvGraph::kNone) return nullptr;
  graph->output(describe_conv(*graph, features, head_, false));  // [B, K, H, W]
  return graph;
}

// The graph a float32 model runs at inference; a model that has none cannot run in int8.
std::shared_ptr<ConvGraph> SegmentationModelImpl::inference_graph() const {
  auto graph = describe();
  if (!graph)
    throw std::invalid_argument("this model does not run as one graph, so it cannot run in int8");
  return graph;
}

std::vector<float> SegmentationModelImpl::calibrate_int8(
    const std::vector<torch::Tensor>& images) const {
  const auto graph = inference_graph();
  ConvGraphCalibration calibration(*graph);
  for (const auto& batch : images) calibration.observe((batch.to(torch::kFloat) - mean_) / std_);
  return calibration.ranges();
}

void SegmentationModelImpl::use_int8(std::vector<float> ranges) {
  check_int8_ranges(*inference_graph(), ranges);
  graph_.set_int8_ranges(std::move(ranges));
}

std::string SegmentationModelImpl::int8_layers() const {
  return describe_int8_layers(*inference_graph(), *this);
}

void SegmentationModelImpl::prepare_for_inference() {
  eval();
  encoder_->fold_for_inference();
  if (head_module_) {
    head_module_->fold_for_inference();
  } else {
    decoder_->fold_for_inference();
  }
  torch::NoGradGuard no_grad;
  for (auto& parameter : parameters()) {
    if (parameter.dim() == 4)
      parameter.set_data(parameter.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  channels_last_ = true;
}

SegmentationModel build_segmentation_model(ConfigSection model_section) {
  Encoder encoder = build_encoder(model_section.section("encoder"));
  auto decoder_section = model_section.section("decoder");
  const auto type =
      decoder_section.get_string("type", "unet", {"unet", "fcn", "deeplabv3", "lraspp"});
  const int64_t num_classes = decoder_section.get_int("num_classes", std::nullopt, {1, 1024});
  const auto normalization =
      read_normalization_options(model_section.section("normalize"), encoder->in_channels());
  if (type != "unet") {
    auto head = build_segmentation_head(decoder_section, encoder->pyramid(), num_classes);
    return SegmentationModel(std::move(encoder), std::move(head), num_classes, normalization);
  }
  const auto decoder_options = read_unet_decoder_options(decoder_section, encoder->pyramid());
  return SegmentationModel(std::move(encoder), decoder_options, num_classes, normalization);
}

}  // namespace vedkit

namespace vedkit {

LoadedSegmentationModel load_segmentation_model(const std::string& path,
                                                const std::string& precision) {
  const auto file = ModelFile::open(path);
  const auto task = file.task();
  if (task != "segmentation") {
    const std::string kind = task.empty() ? "non-vedkit" : task;
    throw ModelFileError(path + ": " +
                         (std::string("aeiou").find(kind[0]) == std::string::npos ? "a " : "an ") +
                         kind + " model, not a segmentation model");
  }
  auto config = file.model_config();
  LoadedSegmentationModel loaded;
  loaded.model = build_segmentation_model(config.section("model"));
  file.load_weights(*loaded.model);
  loaded.model->prepare_for_inference();
  set_precision(*loaded.model, precision_for(file, precision));
  use_int8_of(file, *loaded.model);
  loaded.class_names = file.contents().vocabulary;
  return loaded;
}

}  // namespace vedkit
