#include "text/caption_words.h"

#include <gtest/gtest.h>

namespace vedkit {
namespace {

using Words = std::vector<std::string>;

TEST(CaptionWords, LowerCasesAndDropsPunctuation) {
  EXPECT_EQ(caption_words("A Dog, running (fast)!"), (Words{"a", "dog", "running", "fast"}));
  EXPECT_EQ(caption_words("  two\tspaces \n here.  "), (Words{"two", "spaces", "here"}));
  EXPECT_EQ(caption_words("wait... what?!"), (Words{"wait", "what"}));
}

TEST(CaptionWords, KeepsHyphensAndApostrophesInsideWords) {
  EXPECT_EQ(caption_words("a T-shirt and a dog's ball"),
            (Words{"a", "t-shirt", "and", "a", "dog's", "ball"}));
  EXPECT_EQ(caption_words("'quoted' -- dashes - here"), (Words{"quoted", "dashes", "here"}));
}

TEST(CaptionWords, KeepsDigitsAndUtf8) {
  EXPECT_EQ(caption_words("2 Cafés"), (Words{"2", "cafés"}));
}

TEST(CaptionWords, EmptyAndPunctuationOnly) {
  EXPECT_TRUE(caption_words("").empty());
  EXPECT_TRUE(caption_words(" .,;:!? ").empty());
  EXPECT_EQ(normalize_caption("A  Man, riding."), "a man riding");
}

}  // namespace
}  // namespace vedkit
