// syncscope's version string, as recorded in every run's context.json.
#pragma once

namespace syncscope {
const char* version() noexcept;
}  // namespace syncscope
