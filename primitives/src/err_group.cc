// ErrGroup: the non-template parts of golang.org/x/sync/errgroup's Group
// (see syncscope/err_group.h for the design).
#include <syncscope/err_group.h>

#include <string>

namespace syncscope {

std::pair<ErrGroup, Context> ErrGroup::with_context(const Context& parent) {
  auto [ctx, cancel] = with_cancel(parent);
  ErrGroup g;
  g.st_->cancel = std::move(cancel);
  return {std::move(g), std::move(ctx)};
}

void ErrGroup::fail(State& st, std::error_code ec, std::exception_ptr ex) {
  {
    std::lock_guard<GoMutex> lk(st.mu);
    if (st.failed) return;  // only the first error is kept (Go's errOnce)
    st.failed = true;
    st.err = ec;
    st.thrown = std::move(ex);
  }
  st.cancel();
}

std::error_code ErrGroup::wait() {
  st_->wg.wait();
  st_->cancel();
  std::error_code ec;
  std::exception_ptr ex;
  {
    std::lock_guard<GoMutex> lk(st_->mu);
    ec = st_->err;
    ex = st_->thrown;
  }
  if (ex) std::rethrow_exception(ex);
  return ec;
}

void ErrGroup::set_limit(int n) {
  if (n < 0) {
    st_->sem = Chan<Signal>();
    return;
  }
  if (!st_->sem.is_nil() && st_->sem.len() != 0) {
    throw SyncPanic(std::string(kErrGroupModifyLimit) + std::to_string(st_->sem.len()) +
                    " goroutines in the group are still active");
  }
  st_->sem = Chan<Signal>(static_cast<std::size_t>(n));
}

}  // namespace syncscope
