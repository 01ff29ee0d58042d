// Binds a checkpoint's tensors, whatever the format, to ModelWeights: every tensor
// expected_tensors() lists must be present with the exact shape and a usable type; matrices stay
// in the mapping (zero copy), 1-D norms and biases become f32. Pure function; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"
#include "model/model_config.h"
#include "model/model_weights.h"

namespace turbine {

// One tensor as a checkpoint file stores it.
struct StoredTensor {
  std::string file;             // reported in errors
  std::string type_name;        // the file's spelling: "q5_K", "BF16", "I64"
  std::optional<DType> dtype;   // nullopt: a type turbine does not compute with
  std::vector<int64_t> dims;    // in the file's order (see TensorNaming)
  const uint8_t* data = nullptr;
  uint64_t num_bytes = 0;
};

enum class TensorNaming {
  kGguf,         // GGUF names; dims innermost first ([cols, rows])
  kHuggingFace,  // safetensors names; dims outermost first ([rows, cols])
};

// Looks a tensor up by name; nullptr when the checkpoint has none.
using TensorLookup = std::function<const StoredTensor*(const std::string& name)>;

struct BoundWeights {
  ModelWeights weights;  // `storage` holds copies made here (misaligned data); the caller adds the mappings
  int64_t num_parameters = 0;                       // elements of all bound tensors
  std::map<std::string, int64_t> tensors_by_dtype;  // "q4_K" -> count, over bound tensors
};

// Errors read "FILE: tensor NAME: ..." (missing, expected shape [..], found [..], unsupported
// type, columns not a multiple of the block size). `missing_file` is the file a missing tensor
// is reported against.
Result<BoundWeights> bind_weights(const ModelConfig& config, TensorNaming naming, const TensorLookup& lookup,
                                  const std::string& missing_file);


}  // namespace turbine
