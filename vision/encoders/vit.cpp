#include "vision/encoders/vit.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "vision/encoders/state_dict.h"

namespace vedkit {
namespace {

std::vector<int64_t> default_pyramid_blocks(int64_t depth) {
  return {std::max<int64_t>(1, depth / 4), std::max<int64_t>(1, depth / 2),
          std::max<int64_t>(1, 3 * depth / 4), depth};
}

ViTOptions resolved(ViTOptions options) {
  if (options.pyramid_blocks().empty())
    options.pyramid_blocks(default_pyramid_blocks(options.depth()));
  if (options.pyramid_channels() == 0) options.pyramid_channels(options.width());
  return options;
}

// The first inconsistent option: its key, what it should be and what it is.
struct Problem {
  std::string key;
  std::string expected;
  std::string got;
};

std::optional<Problem> find_problem(const ViTOptions& o) {
  const auto in = [](int64_t value, int64_t min, int64_t max) {
    return value >= min && value <= max;
  };
  const auto text = [](int64_t value) { return std::to_string(value); };
  if (!in(o.patch_size(), 4, 64) || o.patch_size() % 4 != 0) {
    return Problem{"patch_size", "expected a multiple of 4 in [4, 64]", text(o.patch_size())};
  }
  if (!in(o.width(), 1, 8192))
    return Problem{"width", "expected an integer in [1, 8192]", text(o.width())};
  if (!in(o.depth(), 1, 128))
    return Problem{"depth", "expected an integer in [1, 128]", text(o.depth())};
  if (!in(o.heads(), 1, o.width()) || o.width() % o.heads() != 0) {
    return Problem{"heads", "expected a divisor of width " + text(o.width()), text(o.heads())};
  }
  if (!in(o.mlp_dim(), 1, 65536))
    return Problem{"mlp_dim", "expected an integer in [1, 65536]", text(o.mlp_dim())};
  if (!in(o.image_size(), o.patch_size(), 8192) || o.image_size() % o.patch_size() != 0) {
    return Problem{"image_size", "expected a multiple of patch_size " + text(o.patch_size()),
                   text(o.image_size())};
  }
  if (!in(o.in_channels(), 1, 64)) {
    return Problem{"in_channels", "expected an integer in [1, 64]", text(o.in_channels())};
  }
  const auto& blocks = o.pyramid_blocks();
  if (blocks.size() != 4 ||
      std::any_of(blocks.begin(), blocks.end(), [&](int64_t b) { return !in(b, 1, o.depth()); })) {
    std::string got;
    for (int64_t b : blocks) got += (got.empty() ? "" : ", ") + text(b);
    return Problem{"pyramid_blocks",
                   "expected 4 block numbers in [1, depth " + text(o.depth()) + "]",
                   "[" + got + "]"};
  }
  if (!in(o.pyramid_channels(), 1, 8192)) {
    return Problem{"pyramid_channels", "expected an integer in [1, 8192]",
                   text(o.pyramid_channels())};
  }
  return std::nullopt;
}

// [1, 1+h*w, D] -> [1, 1+to_h*to_w, D]: the grid part resized as torchvision's
// interpolate_embeddings does (bicubic, align_corners); the class token's row is kept.
torch::Tensor resize_position_grid(const torch::Tensor& positions, int64_t h, int64_t w,
                                   int64_t to_h, int64_t to_w) {
  const int64_t width = positions.size(2);
  const auto class_row = positions.slice(1, 0, 1);
  auto grid = positions.slice(1, 1).transpose(1, 2).reshape({1, width, h, w});  // -> [1, D, h, w]
  grid = torch::nn::functional::interpolate(grid, torch::nn::functional::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>{to_h, to_w})
                                                      .mode(torch::kBicubic)
                                                      .align_corners(true));
  grid = grid.reshape({1, width, to_h * to_w}).transpose(1, 2);  // -> [1, to_h*to_w, D]
  return torch::cat({class_row, grid}, 1);
}

// ViTDet's simple feature pyramid: one small network per level, finest first.
std::vector<torch::nn::Sequential> build_pyramid(int64_t width, int64_t channels) {
  using namespace torch::nn;
  const auto up = [&] {
    return ConvTranspose2d(ConvTranspose2dOptions(width, width, 2).stride(2));
  };
  std::vector<Sequential> levels = {
      Sequential(up(), GELU(), up()),              // stride p/4
      Sequential(up()),                            // stride p/2
      Sequential(),                                // stride p
      Sequential(MaxPool2d(MaxPool2dOptions(2))),  // stride 2p
  };
  for (auto& level : levels) {
    if (channels != width) level->push_back(Conv2d(Conv2dOptions(width, channels, 1)));
    if (level->is_empty()) level->push_back(Identity());
  }
  return levels;
}

}  // namespace

ViTOptions ViTOptions::preset(const std::string& name) {
  ViTOptions options;
  if (name == "tiny") return options.width(192).depth(12).heads(3).mlp_dim(768);
  if (name == "small") return options.width(384).depth(12).heads(6).mlp_dim(1536);
  if (name == "base") return options.width(768).depth(12).heads(12).mlp_dim(3072);
  throw Error("ViT preset '" + name + "': expected tiny, small or base");
}

ViTOptions read_vit_options(ConfigSection& section) {
  auto o = ViTOptions::preset(section.get_string("preset", "base", {"tiny", "small", "base"}));
  o.patch_size(section.get_int("patch_size", o.patch_size(), {4, 64}));
  o.width(section.get_int("width", o.width(), {1, 8192}));
  o.depth(section.get_int("depth", o.depth(), {1, 128}));
  o.heads(section.get_int("heads", o.heads(), {1, 8192}));
  o.mlp_dim(section.get_int("mlp_dim", o.mlp_dim(), {1, 65536}));
  o.image_size(section.get_int("image_size", o.image_size(), {1, 8192}));
  o.in_channels(section.get_int("in_channels", o.in_channels(), {1, 64}));
  o.pyramid_blocks(
      section.get_ints("pyramid_blocks", default_pyramid_blocks(o.depth()), {1, o.depth()}));
  o.pyramid_channels(section.get_int("pyramid_channels", o.width(), {1, 8192}));
  if (const auto problem = find_problem(o)) section.fail(problem->key, problem->expected);
  return o;
}

ViTEncoderImpl::ViTEncoderImpl(ViTOptions options) : options_(resolved(std::move(options))) {
  if (const auto problem = find_problem(options_)) {
    throw Error("ViT options: " + problem->key + ": " + problem->expected + ", got " +
                problem->got);
  }
  const int64_t patch = options_.patch_size(), width = options_.width();
  const int64_t grid = options_.image_size() / patch;

  conv_proj_ = register_module(
      "conv_proj",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(options_.in_channels(), width, patch).stride(patch)));
  class_token_ = register_parameter("class_token", torch::zeros({1, 1, width}));

  auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
  pos_embedding_ =
      encoder->register_parameter("pos_embedding", torch::empty({1, 1 + grid * grid, width}));
  auto layers = encoder->register_module("layers", std::make_shared<torch::nn::Module>());
  for (int64_t i = 0; i < options_.depth(); ++i) {
    blocks_.push_back(
        layers->register_module("encoder_layer_" + std::to_string(i),
                                ViTBlock(width, options_.heads(), options_.mlp_dim())));
  }
  ln_ = encoder->register_module("ln", vit_layer_norm(width));

  // torchvision's initialisation of the patch projection and the position embedding.
  {
    torch::NoGradGuard no_grad;
    const double fan_in = static_cast<double>(options_.in_channels() * patch * patch);
    conv_proj_->weight.normal_(0.0, std::sqrt(1.0 / fan_in));
    conv_proj_->bias.zero_();
    pos_embedding_.normal_(0.0, 0.02);
  }

  auto pyramid = register_module("pyramid", torch::nn::ModuleList());
  pyramid_ = build_pyramid(width, options_.pyramid_channels());
  for (const auto& level : pyramid_) pyramid->push_back(level);
  for (int64_t stride : {patch / 4, patch / 2, patch, 2 * patch}) {
    levels_.push_back({options_.pyramid_channels(), stride});
  }
}

torch::Tensor ViTEncoderImpl::position_embedding(int64_t grid_h, int64_t grid_w) const {
  const int64_t grid = options_.image_size() / options_.patch_size();
  if (grid_h == grid && grid_w == grid) return pos_embedding_;
  // Cheap next to the transformer, so recomputed every call: a cache would go stale in training.
  return resize_position_grid(pos_embedding_, grid, grid, grid_h, grid_w);
}

torch::Tensor ViTEncoderImpl::encode(const torch::Tensor& images, int64_t multiple,
                                     std::vector<torch::Tensor>* taps) {
  if (images.dim() != 4 || images.size(1) != options_.in_channels()) {
    throw Error("ViT encoder: expected images [B, " + std::to_string(options_.in_channels()) +
                ", H, W], got " + shape_text(images));
  }
  const int64_t height = images.size(2), width = images.size(3);
  if (height == 0 || width == 0 || height % multiple != 0 || width % multiple != 0) {
    throw Error("ViT encoder: image size " + std::to_string(height) + "x" + std::to_string(width) +
                " is not a multiple of " + std::to_string(multiple) + "; resize or pad the images");
  }

  auto x = conv_proj_(images);  // [B, C, H, W] -> [B, D, H/p, W/p]
  const int64_t grid_h = x.size(2), grid_w = x.size(3);
  x = x.flatten(2).transpose(1, 2);                                  // -> [B, N, D]
  x = torch::cat({class_token_.expand({x.size(0), -1, -1}), x}, 1);  // -> [B, 1+N, D]
  x = x + position_embedding(grid_h, grid_w);

  const auto& tap_blocks = options_.pyramid_blocks();
  for (size_t i = 0; i < blocks_.size(); ++i) {
    x = blocks_[i](x);
    if (taps == nullptr) continue;
    for (size_t level = 0; level < tap_blocks.size(); ++level) {
      if (tap_blocks[level] == static_cast<int64_t>(i) + 1) (*taps)[level] = ln_(x);
    }
  }
  return ln_(x);
}

torch::Tensor ViTEncoderImpl::sequence(const torch::Tensor& images) {
  return encode(images, options_.patch_size(), nullptr);
}

torch::Tensor ViTEncoderImpl::tokens(const torch::Tensor& images) {
  return sequence(images).slice(1, 1);  // [B, 1+N, D] -> [B, N, D]
}

std::vector<torch::Tensor> ViTEncoderImpl::forward(const torch::Tensor& images) {
  std::vector<torch::Tensor> taps(pyramid_.size());
  encode(images, size_multiple(), &taps);
  const int64_t batch = images.size(0);
  const int64_t grid_h = images.size(2) / options_.patch_size();
  const int64_t grid_w = images.size(3) / options_.patch_size();

  std::vector<torch::Tensor> maps;
  for (size_t level = 0; level < pyramid_.size(); ++level) {
    const auto grid = taps[level].slice(1, 1).transpose(1, 2).reshape(
        {batch, options_.width(), grid_h, grid_w});  // [B, 1+N, D] -> [B, D, H/p, W/p]
    maps.push_back(pyramid_[level]->forward(grid));  // -> [B, C, H/s, W/s]
  }
  return maps;
}

std::string ViTEncoderImpl::load_torchvision(const StateDict& state) {
  std::vector<std::string> notes;
  const int64_t grid = options_.image_size() / options_.patch_size();
  const int64_t copied = copy_state(
      *this, state, {"heads.", "pyramid."}, [&](const std::string& name, const at::Tensor& tensor) {
        if (name == "conv_proj.weight") {
          std::string note;
          auto adapted = adapt_input_filters(tensor, options_.in_channels(), name, note);
          if (!note.empty()) notes.push_back(note);
          return adapted;  // [D, C, p, p]
        }
        if (name != "encoder.pos_embedding" || tensor.dim() != 3 || tensor.size(1) == grid * grid + 1) {
          return tensor;
        }
        const int64_t positions = tensor.size(1) - 1;
        const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(positions))));
        if (side * side != positions) {
          throw Error("torchvision ViT state: 'encoder.pos_embedding' has " +
                      std::to_string(positions) + " patch positions, not a square grid");
        }
        notes.push_back("encoder.pos_embedding: interpolated the " + std::to_string(side) + "x" +
                        std::to_string(side) + " grid to " + std::to_string(grid) + "x" +
                        std::to_string(grid));
        return resize_position_grid(tensor, side, side, grid, grid);
      });
  std::string note = "loaded " + std::to_string(copied) + " torchvision ViT tensors";
  for (const auto& line : notes) note += "; " + line;
  return note;
}

}  // namespace vedkit
