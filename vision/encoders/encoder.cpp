#include "vision/encoders/encoder.h"

#include <iostream>
#include <stdexcept>

#include "core/error.h"
#include "core/model_file.h"
#include "core/registry.h"
#include "vision/encoders/mobilenet_v3.h"
#include "vision/encoders/resnet.h"
#include "vision/encoders/state_dict.h"
#include "vision/encoders/vit.h"
#include "vision/inference/conv_graph_calibration.h"

namespace vedkit {
namespace {

const Registry<Encoder>& encoder_registry() {
  static const Registry<Encoder> registry =
      Registry<Encoder>()
          .add(
              "mobilenet_v3",
              [](ConfigSection& section) -> Encoder {
                return std::make_shared<MobileNetV3EncoderImpl>(read_mobilenet_v3_options(section));
              })
          .add("resnet",
               [](ConfigSection& section) -> Encoder {
                 return std::make_shared<ResNetEncoderImpl>(read_resnet_options(section));
               })
          .add("vit", [](ConfigSection& section) -> Encoder {
            return std::make_shared<ViTEncoderImpl>(read_vit_options(section));
          });
  return registry;
}

}  // namespace

torch::Tensor EncoderImpl::tokens(const torch::Tensor& images) {
  return forward(images).back().flatten(2).transpose(1, 2);  // [B, C, h, w] -> [B, h*w, C]
}

std::shared_ptr<ConvGraph> EncoderImpl::pyramid_graph() const {
  auto graph = std::make_shared<ConvGraph>();
  const auto levels = describe(*graph, graph->input(in_channels()));
  if (levels.empty()) throw std::invalid_argument("this encoder does not run as one graph, so it cannot run in int8");
  for (const auto level : levels) graph->output(level);
  return graph;
}

std::vector<float> EncoderImpl::calibrate_int8(const std::vector<torch::Tensor>& inputs) const {
  const auto graph = pyramid_graph();
  ConvGraphCalibration calibration(*graph);
  for (const auto& batch : inputs) calibration.observe(batch);
  return calibration.ranges();
}

void EncoderImpl::use_int8(std::vector<float> /*ranges*/) {
  throw std::invalid_argument("only ResNet encoders run in int8");
}

std::string EncoderImpl::int8_layers() const {
  return describe_int8_layers(*pyramid_graph(), *this);
}

Encoder build_encoder(ConfigSection section) {
  Encoder encoder = encoder_registry().build(section);
  const std::string weights = section.get_string("weights", "");
  if (!weights.empty()) {
    const std::string note = encoder->load_torchvision(read_state_dict(weights));
    if (!note.empty()) std::cerr << "model.encoder.weights: " << note << "\n";
  }
  const std::string init_from = section.get_string("init_from", "");
  if (!init_from.empty()) {
    try {
      const auto file = ModelFile::open(init_from);
      file.check_trainable();
      file.load_weights(*encoder, "encoder.");
    } catch (const ModelFileError& e) {
      section.fail("init_from", std::string("a model file whose encoder has this section's "
                                            "type and sizes (") + e.what() + ")");
    }
  }
  return encoder;
}

}  // namespace vedkit
