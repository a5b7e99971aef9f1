// vedkit-eval --model FILE --data SCENES_ROOT [--split test] | --images DIR --masks DIR
// Segmentation: per-class IoU, Dice and accuracy, then aAcc, mIoU, mDice, mAcc, and a JSON line.
// Autoencoder (--images DIR, --fashion-mnist SPLIT or --held-out): mean MSE, PSNR and SSIM, and a
// JSON line; with --normal DIR --anomalous DIR, image AUROC and the rates at its threshold, and
// with --masks DIR (the anomalous images' ground truth) the pixel AUROC.
// Captioner (--captions FILE [--images DIR] [--list FILE]): BLEU-1..4, ROUGE-L, CIDEr-D, a JSON
// line, and with --coco-results FILE the captions in COCO's results format. On a scenes set, also
// the share of captions with the reference's items and relations.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "apps/cli.h"
#include "apps/predict_options.h"
#include "core/error.h"
#include "core/model_file.h"
#include "core/runtime.h"
#include "datasets/autoencoder/autoencoder_image_data.h"
#include "datasets/autoencoder/image_tensor_set.h"
#include "datasets/captions/caption_lists.h"
#include "datasets/captions/evaluate_captions.h"
#include "datasets/fashion_mnist.h"
#include "datasets/image_files.h"
#include "datasets/scenes/caption_facts.h"
#include "datasets/segmentation/evaluate_pairs.h"
#include "apps/one_class_evaluation.h"
#include "vision/autoencoder/anomaly_map.h"
#include "vision/autoencoder/reconstruction_scores.h"
#include "vision/io/image_io.h"
#include "vision/metrics/auroc.h"

namespace {

// The validation images the model's training held out, from the data settings and seed stored
// in its file.
at::Tensor held_out_images_of(const std::string& model_path, int64_t channels,
                              const std::vector<int64_t>& input_size) {
  auto config = vedkit::ModelFile::open(model_path).model_config();
  const auto seed = vedkit::read_runtime_options(config.section("runtime")).seed;
  const auto options =
      vedkit::read_autoencoder_data_options(config.section("data"), input_size, seed);
  try {
    return vedkit::load_autoencoder_images(options, channels).second;
  } catch (const vedkit::DataError& error) {
    throw vedkit::DataError(std::string(error.what()) + " (--held-out reads the data " +
                            model_path + " was trained on; run from the folder its training ran in)");
  }
}

// The ground-truth mask of an anomalous image among masks (the masks folder's files by stem):
// the file of the same stem, or of the stem with "_mask" (MVTec AD's naming). A missing one is a
// DataError naming the image.
std::string mask_of(const std::string& image, const std::map<std::string, std::string>& masks,
                    const std::string& masks_dir) {
  const auto stem = std::filesystem::path(image).stem().string();
  for (const auto& name : {stem, stem + "_mask"}) {
    if (const auto found = masks.find(name); found != masks.end()) return found->second;
  }
  throw vedkit::DataError(image + ": no mask named " + stem + " or " + stem + "_mask in " +
                          masks_dir + "; give one for every anomalous image");
}

// Pixel AUROC: every pixel of every image, its anomaly map's value at the image's own size
// against its mask (nonzero: anomalous; normal images have none and count as all normal).
double pixel_auroc(vedkit::AutoencoderModel& model, const std::vector<int64_t>& trained_size,
                   const std::string& normal_dir, const std::string& anomalous_dir,
                   const std::string& masks_dir) {
  std::map<std::string, std::string> masks;
  for (const auto& mask : vedkit::list_images(masks_dir)) {
    masks.emplace(std::filesystem::path(mask).stem().string(), mask);
  }
  std::vector<double> values;
  std::vector<bool> anomalous;
  for (const auto* dir : {&normal_dir, &anomalous_dir}) {
    for (const auto& image : vedkit::list_images(*dir)) {
      const auto [map, score] = vedkit::image_anomaly(
          model, vedkit::read_image(image, model->in_channels()), trained_size);
      at::Tensor truth = torch::zeros(map.sizes(), torch::kBool);
      if (dir == &anomalous_dir) {
        const auto mask_path = mask_of(image, masks, masks_dir);
        truth = vedkit::read_mask(mask_path) != 0;
        if (truth.sizes() != map.sizes()) {
          throw vedkit::DataError(mask_path + ": mask of " + std::to_string(truth.size(1)) + "x" +
                                  std::to_string(truth.size(0)) + " for an image of " +
                                  std::to_string(map.size(1)) + "x" + std::to_string(map.size(0)));
        }
      }
      const auto flat = map.to(torch::kDouble).contiguous().view(-1);
      const auto labels = truth.contiguous().view(-1);
      values.insert(values.end(), flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel());
      for (int64_t i = 0; i < labels.numel(); ++i) anomalous.push_back(labels.data_ptr<bool>()[i]);
    }
  }
  return vedkit::auroc(values, anomalous);
}

// Anomaly detection: scores of a folder of normal and one of anomalous images, at the size the
// model trained at; image AUROC, the rates at the model's threshold, and with --masks the pixel
// AUROC.
int evaluate_anomaly_detection(const vedkit::po::variables_map& args) {
  const auto path = args["model"].as<std::string>();
  auto model = vedkit::load_autoencoder_model(path);
  const auto file = vedkit::ModelFile::open(path);
  const auto size = vedkit::autoencoder_training_size(file, model->input_size());
  std::vector<double> scores;
  std::vector<bool> anomalous;
  int64_t skipped = 0;
  for (const auto* option : {"normal", "anomalous"}) {
    const auto set = vedkit::load_image_folder(args[option].as<std::string>(), "",
                                               model->in_channels(), size[0], size[1]);
    for (const auto& message : set.skipped) std::cerr << "vedkit-eval: skipped " << message << "\n";
    skipped += static_cast<int64_t>(set.skipped.size());
    const auto result = vedkit::anomaly_maps(model, set.images);
    for (int64_t i = 0; i < result.scores.size(0); ++i) {
      scores.push_back(result.scores[i].item<double>());
      anomalous.push_back(std::string(option) == "anomalous");
    }
  }
  const auto positives = std::count(anomalous.begin(), anomalous.end(), true);
  const auto negatives = static_cast<int64_t>(anomalous.size()) - positives;
  const double image_auroc = vedkit::auroc(scores, anomalous);
  const double threshold = args.count("threshold") ? args["threshold"].as<double>()
                                                   : file.contents().anomaly_threshold;
  int64_t flagged_anomalous = 0, flagged_normal = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] > threshold) ++(anomalous[i] ? flagged_anomalous : flagged_normal);
  }
  std::ostringstream json;
  json << std::setprecision(6) << "{\"normal\": " << negatives << ", \"anomalous\": " << positives
       << ", \"image_auroc\": " << image_auroc;
  std::cout << std::fixed << std::setprecision(4) << "normal images     " << negatives << "\n"
            << "anomalous images  " << positives << "\n"
            << "image AUROC       " << image_auroc << "\n";
  if (args.count("masks")) {
    const double by_pixel = pixel_auroc(model, size, args["normal"].as<std::string>(),
                                        args["anomalous"].as<std::string>(),
                                        args["masks"].as<std::string>());
    std::cout << "pixel AUROC       " << by_pixel << "\n";
    json << ", \"pixel_auroc\": " << by_pixel;
  }
  if (std::isfinite(threshold)) {
    const double tpr = static_cast<double>(flagged_anomalous) / std::max<int64_t>(1, positives);
    const double fpr = static_cast<double>(flagged_normal) / std::max<int64_t>(1, negatives);
    std::cout << "at threshold " << std::setprecision(6) << threshold << ": " << flagged_anomalous << " of "
              << positives << " anomalous images flagged, " << flagged_normal << " of " << negatives
              << " normal ones\n";
    json << ", \"threshold\": " << threshold << ", \"true_positive_rate\": " << tpr
         << ", \"false_positive_rate\": " << fpr;
  }
  json << "}";
  std::cout << json.str() << "\n";
  if (args.count("json")) std::ofstream(args["json"].as<std::string>()) << json.str() << "\n";
  return skipped == 0 ? 0 : 1;
}

int evaluate_autoencoder(const vedkit::po::variables_map& args) {
  if (args.count("normal") || args.count("anomalous")) {
    if (!args.count("normal") || !args.count("anomalous")) {
      throw vedkit::po::error("anomaly detection takes --normal DIR and --anomalous DIR together");
    }
    return evaluate_anomaly_detection(args);
  }
  auto model = vedkit::load_autoencoder_model(args["model"].as<std::string>());
  const int64_t channels = model->in_channels();
  auto size = model->input_size();
  vedkit::ImageTensorSet set;
  if (args.count("fashion-mnist")) {
    if (size.empty()) size = {28, 28};
    set = vedkit::load_fashion_mnist_images(vedkit::kDefaultFashionMnistDir,
                                            args["fashion-mnist"].as<std::string>(), channels, size[0], size[1]);
    if (args.count("normal-classes")) {
      return evaluate_one_class(model, set, args["normal-classes"].as<std::vector<int64_t>>(),
                                args.count("json") ? args["json"].as<std::string>() : "",
                                args.count("scores") ? args["scores"].as<std::string>() : "");
    }
  } else if (args.count("held-out")) {
    set.images = held_out_images_of(args["model"].as<std::string>(), channels, model->input_size());
  } else if (args.count("images")) {
    if (size.empty()) size = {64, 64};
    set = vedkit::load_image_folder(args["images"].as<std::string>(), "", channels, size[0], size[1]);
    for (const auto& message : set.skipped) std::cerr << "vedkit-eval: skipped " << message << "\n";
  } else {
    throw vedkit::po::error(
        "an autoencoder takes --images DIR, --fashion-mnist train|test or --held-out");
  }
  const auto scores = vedkit::score_reconstructions(model, set.images);
  const auto json = vedkit::format_reconstruction_json(scores);
  std::cout << vedkit::format_reconstruction_table(scores) << json << "\n";
  if (args.count("json")) std::ofstream(args["json"].as<std::string>()) << json << "\n";
  return set.skipped.empty() ? 0 : 1;
}

// On a scenes set (one generated reference per image), how many captions state its facts.
void print_scene_caption_agreement(const vedkit::CaptionEvaluation& evaluation) {
  std::vector<std::string> references;
  for (const auto& image : evaluation.images) {
    if (image.captions.size() != 1) return;
    references.push_back(image.captions.front());
  }
  const auto agreement = vedkit::compare_scene_captions(evaluation.captions, references);
  if (agreement) std::cout << vedkit::format_scene_caption_agreement(*agreement) << "\n";
}

int evaluate_captioner(const vedkit::po::variables_map& args) {
  auto model = vedkit::load_caption_model(args["model"].as<std::string>(),
                                          args["precision"].as<std::string>());
  if (!args.count("captions")) throw vedkit::po::error("a captioner takes --captions FILE");
  const auto images_dir = args.count("images") ? args["images"].as<std::string>() : "";
  auto images = vedkit::read_captions(args["captions"].as<std::string>(), images_dir);
  if (args.count("list")) images = vedkit::keep_listed(images, args["list"].as<std::string>(), "--list");
  auto decoding = model.decoding;
  if (args.count("beam")) {
    decoding.method = "beam";
    decoding.beam_size = args["beam"].as<int64_t>();
  }
  const auto result = vedkit::evaluate_captions(model, images, decoding, 32, args.count("quiet") > 0);
  for (const auto& message : result.skipped) std::cerr << "vedkit-eval: skipped " << message << "\n";
  const auto json = vedkit::format_caption_scores_json(result.scores);
  std::cout << vedkit::format_caption_scores_table(result.scores) << json << "\n";
  if (args.count("json")) std::ofstream(args["json"].as<std::string>()) << json << "\n";
  print_scene_caption_agreement(result);
  if (args.count("coco-results")) vedkit::write_coco_results(args["coco-results"].as<std::string>(), result);
  return result.skipped.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return vedkit::run_app("vedkit-eval", [&] {
    namespace po = vedkit::po;
    po::options_description options("vedkit-eval: score a segmentation model, an autoencoder or a captioner");
    options.add_options()
        ("model", po::value<std::string>()->required(), "model file (.vdk)")
        ("data", po::value<std::string>(), "a scenes set's folder (see vedkit-scenes)")
        ("split", po::value<std::string>()->default_value("test"), "the split of --data")
        ("images", po::value<std::string>(), "a folder of images (instead of --data); captioners: the folder the caption file's image names are in")
        ("masks", po::value<std::string>(), "their class-index masks, matched by name; with "
                                            "--anomalous, its images' anomaly masks (pixel AUROC)")
        ("fashion-mnist", po::value<std::string>(), "autoencoders: a Fashion-MNIST split (train | test)")
        ("held-out", "autoencoders: the validation images its training held out (as its file records)")
        ("normal", po::value<std::string>(), "autoencoders: a folder of normal images (with --anomalous: image AUROC)")
        ("anomalous", po::value<std::string>(), "autoencoders: a folder of anomalous images")
        ("scores", po::value<std::string>(), "with --normal-classes: every image's scores as a CSV file")
        ("threshold", po::value<double>(), "autoencoders: the anomaly score threshold (default: the model file's)")
        ("normal-classes", po::value<std::vector<int64_t>>()->multitoken(),
         "autoencoders, with --fashion-mnist: these labels are normal, the rest anomalous (image AUROC)")
        ("captions", po::value<std::string>(), "captioners: a caption file (COCO JSON, Flickr8k, TSV)")
        ("list", po::value<std::string>(), "captioners: only the images this file names (stems or paths)")
        ("beam", po::value<int64_t>()->notifier([](int64_t n) {
           if (n < 1) throw vedkit::po::error("--beam: expected a beam size of at least 1");
         }), "captioners: beam search with this many beams (else the model's decoding)")
        ("coco-results", po::value<std::string>(), "captioners: write the captions as COCO results JSON")
        ("binary-masks", "read 0/255 masks as classes 0/1")
        ("precision", po::value<std::string>()->default_value("float32"),
         "segmentation and captioners: float32 | bfloat16 | auto | bfloat16_any_cpu")
        ("json", po::value<std::string>(), "also write the scores as JSON to this file")
        ("quiet", "no progress output");
    vedkit::add_predict_options(options);
    vedkit::add_threads_option(options);
    options.add_options()("help", "show this help");
    po::variables_map args;
    if (!vedkit::parse_args(argc, argv, options, args)) return 0;
    vedkit::use_threads_from(args);
    const auto task = vedkit::ModelFile::open(args["model"].as<std::string>()).task();
    if (task == "autoencoder") return evaluate_autoencoder(args);
    if (task == "captioning" || args.count("captions")) return evaluate_captioner(args);
    const bool folders = args.count("images") && args.count("masks");
    if (!folders && !args.count("data")) {
      throw po::error("give --data SCENES_ROOT, or --images DIR and --masks DIR");
    }

    const auto predict = vedkit::predict_options_from(args);  // bad values fail before loading
    auto model = vedkit::load_segmentation_model(args["model"].as<std::string>(),
                                                 args["precision"].as<std::string>());
    const auto pairs = folders ? vedkit::pairs_from_folders(args["images"].as<std::string>(),
                                                            args["masks"].as<std::string>())
                               : vedkit::pairs_from_split(args["data"].as<std::string>(),
                                                          args["split"].as<std::string>());
    const auto result = vedkit::evaluate_pairs(model, pairs, predict,
                                               args.count("binary-masks") > 0,
                                               args.count("quiet") > 0);
    for (const auto& message : result.skipped) std::cerr << "vedkit-eval: skipped " << message << "\n";
    if (result.evaluated == 0) throw vedkit::DataError("no image/mask pair could be read");

    const auto scores = result.confusion.scores();
    const auto json = vedkit::format_scores_json(scores, model.class_names);
    std::cout << vedkit::format_scores_table(scores, model.class_names)
              << "(" << result.evaluated << " images; IoU over the whole set, absent classes left out of the means)\n"
              << json << "\n";
    if (args.count("json")) {
      std::ofstream(args["json"].as<std::string>()) << json << "\n";
    }
    return result.skipped.empty() ? 0 : 1;
  });
}
