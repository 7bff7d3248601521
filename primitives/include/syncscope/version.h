// syncscope's version string, as recorded in every run's context.json.
#ifndef SYNCSCOPE_VERSION_H_
#define SYNCSCOPE_VERSION_H_

namespace syncscope {
const char* version() noexcept;
}  // namespace syncscope

#endif  // SYNCSCOPE_VERSION_H_
