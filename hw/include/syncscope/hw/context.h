// syncscope/hw/context.h — provenance of a run: the context.json document.
//
// Offers:
//   nlohmann::json context_json()        everything a result needs to be
//                                        interpreted (schema: hw/README.md)
//   const BuildInfo& build_info()        compiler, flags, build type,
//                                        sanitizer, git revision
//   topology_json / cpu_features_json / counters_json / placement_json
//                                        the pieces, for suites that embed
//                                        them in their own output
//   context_keys()                       the documented top-level keys
//
// Stability: keys are snake_case and only ever added; `schema_version` is
// bumped when a key changes meaning or is removed. Values that could not be
// read are reported as such ("unavailable ...", null), never left out, so
// every key is always present. hw/README.md documents each key and
// context_test checks the document against the README.
//
// Build information is baked in when CMake configures the build (compile
// definitions on context.cc): re-run cmake after a commit to refresh
// git_revision.
//
// Thread safety: every function is safe to call from any thread. The
// expensive parts (topology, counters probe, CPU features) are computed
// once and cached by their own modules; the rest is re-read on each call.
#ifndef SYNCSCOPE_HW_CONTEXT_H_
#define SYNCSCOPE_HW_CONTEXT_H_

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "syncscope/hw/counters.h"
#include "syncscope/hw/cpu_features.h"
#include "syncscope/hw/placement.h"
#include "syncscope/hw/topology.h"

namespace syncscope::hw {

// Version of the context.json layout.
inline constexpr int kContextSchemaVersion = 1;

struct BuildInfo {
  std::string compiler_id;       // CMAKE_CXX_COMPILER_ID, e.g. "GNU"
  std::string compiler_version;  // CMAKE_CXX_COMPILER_VERSION, e.g. "12.2.0"
  std::string cxx_flags;         // CMAKE_CXX_FLAGS + CMAKE_CXX_FLAGS_<BUILD_TYPE>
  std::string compile_options;   // directory COMPILE_OPTIONS (-Wall, sanitizer flags...)
  std::string build_type;        // CMAKE_BUILD_TYPE
  std::string sanitizer;         // SYNCSCOPE_SANITIZER: none | thread | address
  std::string git_revision;      // "abc1234", "abc1234-dirty" or "unknown"
};
const BuildInfo& build_info();

// The whole document (see hw/README.md for the schema).
nlohmann::json context_json();

nlohmann::json topology_json(const Topology& t);
nlohmann::json cpu_features_json(const CpuFeatures& f);
nlohmann::json counters_json(const CountersStatus& s);
// {"policy", "honoured", "reason", "pus"} — what a suite records per run.
nlohmann::json placement_json(const Placement& p);

// The top-level keys of context_json(), in document order.
std::vector<std::string> context_keys();

}  // namespace syncscope::hw

#endif  // SYNCSCOPE_HW_CONTEXT_H_
