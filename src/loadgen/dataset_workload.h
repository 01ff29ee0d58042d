// Workloads read from a file, one JSON object per line (blank lines and lines starting with
// '#' are skipped):
//   {"messages": [...OpenAI chat messages...], "max_tokens": 128}      chat, sent as it is
//   {"prompt": "text", "max_tokens": 128}                              a prompt
//   {"input_length": 900, "output_length": 120, "hash_ids": [0, 1]}    lengths only (Mooncake
//        traces): the text is synthesised, and lines naming the same hash id share that block
//        of trace_block_tokens tokens, so prefix reuse in the trace is reproduced
// plus "timestamp" (milliseconds; the earliest line starts the run), required by --workload trace and ignored by
// --workload jsonl. "max_tokens" may also be spelled "max_completion_tokens" or "output_length".
// Loading reads the whole file; errors name the file and the line. One thread.
#pragma once

#include <memory>

#include "base/status.h"
#include "loadgen/workload.h"

namespace turbine::loadgen {

Result<std::unique_ptr<Workload>> load_dataset_workload(const WorkloadOptions& options,
                                                        std::shared_ptr<const TextSynthesizer> text,
                                                        uint64_t seed, uint64_t stream);

}  // namespace turbine::loadgen
