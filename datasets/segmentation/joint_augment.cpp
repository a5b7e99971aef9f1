#include "datasets/segmentation/joint_augment.h"

#include <opencv2/imgproc.hpp>

namespace vedkit {
namespace {

void jitter_colour(cv::Mat& image, double amount, SplitMix64& rng) {
  const double brightness = rng.uniform(-amount, amount) * 255 * 0.5;
  const double contrast = 1 + rng.uniform(-amount, amount);
  image.convertTo(image, CV_8U, contrast, brightness + 127.5 * (1 - contrast));
  if (image.channels() != 3) return;
  const double saturation = 1 + rng.uniform(-amount, amount);
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(grey, grey, cv::COLOR_GRAY2BGR);
  cv::addWeighted(image, saturation, grey, 1 - saturation, 0, image);
}

}  // namespace

void augment_pair(cv::Mat& image, cv::Mat& mask, const AugmentOptions& options, SplitMix64& rng) {
  const double scale = rng.uniform(options.scale_min, options.scale_max);
  const double angle = rng.uniform(-options.rotate_degrees, options.rotate_degrees);
  const cv::Point2f centre(image.cols / 2.0f, image.rows / 2.0f);
  cv::Mat transform = cv::getRotationMatrix2D(centre, angle, scale);
  const int out_w = options.crop > 0 ? options.crop : image.cols;
  const int out_h = options.crop > 0 ? options.crop : image.rows;
  // A random crop window of the scaled image: shift so the window lands inside it when it can.
  const double slack_x = std::max(0.0, image.cols * scale - out_w);
  const double slack_y = std::max(0.0, image.rows * scale - out_h);
  transform.at<double>(0, 2) += out_w / 2.0 - centre.x + rng.uniform(-slack_x / 2, slack_x / 2);
  transform.at<double>(1, 2) += out_h / 2.0 - centre.y + rng.uniform(-slack_y / 2, slack_y / 2);
  if (options.flip && rng.uniform() < 0.5) {
    // x' = out_w - 1 - x, applied after the affine map.
    transform.row(0) *= -1;
    transform.at<double>(0, 2) += out_w - 1;
  }
  cv::Mat warped_image, warped_mask;
  cv::warpAffine(image, warped_image, transform, cv::Size(out_w, out_h), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar::all(0));
  cv::warpAffine(mask, warped_mask, transform, cv::Size(out_w, out_h), cv::INTER_NEAREST,
                 cv::BORDER_CONSTANT, cv::Scalar::all(options.ignore_index));
  if (options.jitter > 0) jitter_colour(warped_image, options.jitter, rng);
  image = warped_image;
  mask = warped_mask;
}

}  // namespace vedkit
