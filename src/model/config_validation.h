// Sanity checks on hyper-parameters read from a checkpoint, before any tensor is sized from them:
// positive sizes, heads divisible by KV heads, an even head_dim, bounds that keep shape products
// far from overflow. Pure function; any thread.
#pragma once

#include <string>

#include "base/status.h"
#include "model/model_config.h"

namespace turbine {

// `source` names the file the values came from; errors read "SOURCE: <field> ...".
Status validate_model_config(const ModelConfig& config, const std::string& source);

}  // namespace turbine
