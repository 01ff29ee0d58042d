// Turns a response built as JSON into the bytes sent to the client. Token text from the model can
// end in the middle of a UTF-8 character; nlohmann's default dump() throws on that, so every
// response goes through dump_json(). Pure functions; any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace turbine::api {

// Compact JSON (no spaces, as OpenAI sends it); invalid UTF-8 inside strings becomes U+FFFD.
// Never throws. Responses are built as ordered_json so fields come out in OpenAI's order.
std::string dump_json(const nlohmann::ordered_json& value);
std::string dump_json(const nlohmann::json& value);

}  // namespace turbine::api
