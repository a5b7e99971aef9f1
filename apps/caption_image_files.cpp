#include "apps/caption_image_files.h"

#include <nlohmann/json.hpp>

#include "apps/caption_drawing.h"
#include "core/error.h"
#include "datasets/image_files.h"
#include "vision/io/image_io.h"

namespace vedkit {

int caption_image_files(FrameCaptioner& captioner, const std::vector<std::string>& files,
                        const ImageCaptionOptions& options, std::ostream& out, std::ostream& err) {
  const auto names = unique_stems(files);
  int failed = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    cv::Mat image;
    try {
      image = to_bgr8(read_image_unchanged(files[i]));
    } catch (const DataError& e) {
      err << "vedkit-caption: skipped " << e.what() << "\n";
      ++failed;
      continue;
    }
    const auto caption = captioner.caption(image);
    if (options.json) {
      const nlohmann::ordered_json line{{"image", files[i]},
                                        {"caption", caption.text},
                                        {"ms", static_cast<int64_t>(caption.seconds * 1000)}};
      out << line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
          << std::endl;
    } else {
      out << files[i] << "\t" << caption.text << std::endl;
    }
    if (!options.attention_dir.empty())
      write_attention_maps(options.attention_dir, names[i], image, caption);
  }
  return failed;
}

}  // namespace vedkit
