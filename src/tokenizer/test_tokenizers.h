// Where the real tokenizer files used by tests and `turbine model make-test` live: the npm
// packages under tests/tools/node_modules (installed by scripts/setup). Any thread.
#pragma once

#include <string>
#include <string_view>

namespace turbine {

// The directory holding tokenizer.json and tokenizer_config.json for `name` ("llama3", "qwen3",
// "mistral"), under repository root `repo_root`; "" when the name is unknown or the package is
// not installed.
std::string find_test_tokenizer_dir(std::string_view repo_root, std::string_view name);

}  // namespace turbine
