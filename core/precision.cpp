#include "core/precision.h"

#include "core/error.h"

namespace vedkit {

void set_precision(torch::nn::Module& model, const std::string& precision) {
  if (precision == "bfloat16") {
    model.to(torch::kBFloat16);
  } else if (precision != "float32") {
    throw Error("precision '" + precision + "': expected float32 or bfloat16");
  }
}

}  // namespace vedkit
