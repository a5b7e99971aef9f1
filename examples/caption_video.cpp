// Captions every Nth frame of a video with a vedkit captioning model:
//   caption_video MODEL.vdk VIDEO [EVERY=25] [FRAMES=all]
// printing the frame number and its caption.
#include <opencv2/videoio.hpp>
#include <torch/torch.h>

#include <iostream>
#include <string>

#include "core/error.h"
#include "core/runtime.h"
#include "text/caption_step_model.h"
#include "text/load_caption_model.h"
#include "vision/io/image_io.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::cerr << "usage: caption_video MODEL.vdk VIDEO [EVERY=25] [FRAMES=all]\n";
    return 2;
  }
  try {
    vedkit::use_all_cores();
    const int every = argc > 3 ? std::stoi(argv[3]) : 25;
    const int frames = argc > 4 ? std::stoi(argv[4]) : -1;
    auto loaded = vedkit::load_caption_model(argv[1]);
    // The training images' size where the model's config records it.
    const std::vector<int64_t> size =
        loaded.input_size.empty() ? std::vector<int64_t>{128, 128} : loaded.input_size;
    cv::VideoCapture video(argv[2]);
    if (!video.isOpened()) {
      std::cerr << "caption_video: " << argv[2] << ": cannot be read as a video\n";
      return 1;
    }
    const auto& tokenizer = *loaded.tokenizer;
    cv::Mat frame;
    for (int index = 0; video.read(frame) && (frames < 0 || index < frames); ++index) {
      if (index % every != 0) continue;
      // Scaled to cover the model's input and centre-cropped, as its training images were.
      const auto image = vedkit::image_to_tensor(vedkit::resize_covering(frame, size[0], size[1]),
                                                 loaded.model->in_channels());
      const auto best = vedkit::caption_images(*loaded.model, image.unsqueeze(0),
                                               tokenizer.bos_id(), tokenizer.eos_id(),
                                               loaded.decoding)
                            .front();
      std::cout << "frame " << index << ": " << tokenizer.decode(best.tokens) << "\n";
    }
  } catch (const vedkit::Error& e) {
    std::cerr << "caption_video: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
