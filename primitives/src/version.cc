// The library's version string, reported in every run's context.json.
namespace syncscope {
const char* version() noexcept { return "0.1.0"; }
}  // namespace syncscope
