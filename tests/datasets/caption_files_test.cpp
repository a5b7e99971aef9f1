#include "datasets/captions/caption_files.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/support/error_of.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::error_of;
using testing::TempDir;
using Captions = std::vector<std::string>;

const char* const kCoco = R"({
  "info": {"description": "tiny"},
  "images": [{"id": 42, "file_name": "b.jpg", "width": 640},
             {"id": 7, "file_name": "a.jpg"},
             {"id": 9, "file_name": "uncaptioned.jpg"}],
  "annotations": [{"id": 1, "image_id": 7, "caption": "A dog runs. "},
                  {"id": 2, "image_id": 42, "caption": "Two cats"},
                  {"id": 3, "image_id": 7, "caption": "a brown dog"}]
})";

TEST(CocoCaptions, GroupsCaptionsByImageInImageOrder) {
  TempDir dir;
  const auto images = read_coco_captions(dir.write("captions_val.json", kCoco), "/data/val2014");
  ASSERT_EQ(images.size(), 2u);  // the image without a caption is left out
  EXPECT_EQ(images[0].image_path, "/data/val2014/b.jpg");
  EXPECT_EQ(images[0].captions, (Captions{"Two cats"}));
  EXPECT_EQ(images[1].image_path, "/data/val2014/a.jpg");
  EXPECT_EQ(images[1].captions, (Captions{"A dog runs.", "a brown dog"}));
  EXPECT_EQ(images[1].coco_id, 7);
}

TEST(CocoCaptions, ImageDirDefaultsToTheFilesFolder) {
  TempDir dir;
  const auto images = read_captions(dir.write("ann/captions.json", kCoco), "");
  EXPECT_EQ(images[0].image_path, dir.file("ann/b.jpg"));
}

TEST(CocoCaptions, BadFilesNameTheFieldAndTheFile) {
  TempDir dir;
  const auto message = [&](const std::string& json) {
    const auto path = dir.write("c.json", json);
    const auto text = error_of<DataError>([&] { read_coco_captions(path, "img"); });
    EXPECT_NE(text.find(path), std::string::npos) << text;
    return text;
  };
  EXPECT_NE(message(R"({"images": [], "annotations": [)").find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(message(R"({"annotations": []})").find("images is missing"), std::string::npos);
  EXPECT_NE(message(R"({"images": [{"id": 1}], "annotations": []})").find("images[0].file_name"),
            std::string::npos);
  EXPECT_NE(message(R"({"images": [{"id": "1", "file_name": "a.jpg"}], "annotations": []})")
                .find("images[0].id is missing or not an integer"),
            std::string::npos);
  EXPECT_NE(message(R"({"images": [{"id": 1, "file_name": "a.jpg"}],
                        "annotations": [{"image_id": 1, "caption": "x"},
                                        {"image_id": 5, "caption": "y"}]})")
                .find("annotations[1].image_id 5 is no image's id"),
            std::string::npos);
  EXPECT_NE(message(R"({"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": []})")
                .find("no captions"),
            std::string::npos);
  EXPECT_NE(message("").find("not valid JSON"), std::string::npos);
  // Found by fuzzing: a number past a double's range escaped as nlohmann's out_of_range.
  EXPECT_NE(message(R"({"images": [{"id": 1e999999}]})").find("not valid JSON"),
            std::string::npos);
}

TEST(Flickr8kCaptions, StripsTheCaptionNumber) {
  TempDir dir;
  const auto path = dir.write("Flickr8k.token.txt",
                              "1000268201_693b08cb0e.jpg#0\tA child in a pink dress .\r\n"
                              "1000268201_693b08cb0e.jpg#1\tA girl going into a wooden building .\n"
                              "\n"
                              "1001773457_577c3a7d70.jpg#0\tA black dog and a spotted dog .\n");
  for (const auto& images :
       {read_flickr8k_captions(path, "/f/Images"), read_captions(path, "/f/Images")}) {
    ASSERT_EQ(images.size(), 2u);
    EXPECT_EQ(images[0].image_path, "/f/Images/1000268201_693b08cb0e.jpg");
    EXPECT_EQ(images[0].captions,
              (Captions{"A child in a pink dress .", "A girl going into a wooden building ."}));
    EXPECT_EQ(images[1].image_path, "/f/Images/1001773457_577c3a7d70.jpg");
  }
}

TEST(CaptionTsv, ReadsTheSamples) {
  const std::string samples = std::string(VEDKIT_SOURCE_DIR) + "/datasets/samples";
  const auto images = read_captions(samples + "/captions.tsv", "");
  ASSERT_EQ(images.size(), 36u);
  EXPECT_EQ(images[0].image_path, samples + "/images/000000.png");
  EXPECT_EQ(images[0].captions,
            (Captions{"a shirt below a sneaker and an ankle boot below a sneaker"}));
}

TEST(CaptionTsv, RepeatedImagesHaveSeveralCaptions) {
  TempDir dir;
  const auto path = dir.write("c.tsv",
                              "images/1.png\ta bag\nimages/2.png\ta coat\n"
                              "images/1.png\ta bag above a sandal\n");
  const auto images = read_caption_tsv(path, "/d");
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[0].image_path, "/d/images/1.png");
  EXPECT_EQ(images[0].captions, (Captions{"a bag", "a bag above a sandal"}));
  EXPECT_EQ(images[1].captions, (Captions{"a coat"}));
}

TEST(CaptionTsv, BadLinesNameTheFileAndLine) {
  TempDir dir;
  const auto message = [&](const std::string& text) {
    const auto path = dir.write("c.tsv", text);
    return error_of<DataError>([&] { read_caption_tsv(path, ""); });
  };
  EXPECT_EQ(message("a.png\ta bag\nb.png a coat\n"),
            dir.file("c.tsv") +
                ":2: no tab between the image and the caption; write "
                "'image<TAB>caption'");
  EXPECT_NE(message("a.png\t  \n").find("c.tsv:1: no caption after the tab"), std::string::npos);
  EXPECT_NE(message("\ta bag\n").find("c.tsv:1: no image name"), std::string::npos);
  EXPECT_EQ(message(""), dir.file("c.tsv") + ": no captions in the file");
  EXPECT_EQ(message("\n \n"), dir.file("c.tsv") + ": no captions in the file");
}

TEST(CaptionFiles, MissingFileIsADataError) {
  TempDir dir;
  for (const auto& name : {"gone.json", "gone.tsv", "gone.txt"}) {
    EXPECT_EQ(error_of<DataError>([&] { read_captions(dir.file(name), ""); }),
              dir.file(name) + ": no such caption file; check the path");
  }
  EXPECT_THROW(read_flickr8k_captions(dir.file("gone.txt"), ""), DataError);
}

}  // namespace
}  // namespace vedkit
