// Context: cancellation propagation, the timer service, after_func and the
// error category (see syncscope/context.h for the design).
#include <syncscope/context.h>

#include <syncscope/internal/sema.h>

#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace syncscope {
namespace {

class ContextCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "context"; }
  std::string message(int ev) const override {
    switch (static_cast<ContextErrc>(ev)) {
      case ContextErrc::kCanceled:
        return kContextCanceledMessage;
      case ContextErrc::kDeadlineExceeded:
        return kContextDeadlineExceededMessage;
    }
    return "unknown context error";
  }
  // Go's DeadlineExceeded reports Timeout() == true.
  std::error_condition default_error_condition(int ev) const noexcept override {
    if (static_cast<ContextErrc>(ev) == ContextErrc::kDeadlineExceeded) {
      return std::make_error_condition(std::errc::timed_out);
    }
    return {ev, *this};
  }
};

// The two roots. Allocated once and never freed, so a Context held by a
// static object stays valid during static destruction.
const std::shared_ptr<detail::ContextNode>& root(detail::ContextNode::Kind k) {
  static const auto* background = new std::shared_ptr<detail::ContextNode>(
      std::make_shared<detail::ContextNode>(detail::ContextNode::Kind::kBackground, nullptr,
                                            nullptr, std::nullopt));
  static const auto* todo = new std::shared_ptr<detail::ContextNode>(std::make_shared<
      detail::ContextNode>(detail::ContextNode::Kind::kTodo, nullptr, nullptr, std::nullopt));
  return k == detail::ContextNode::Kind::kTodo ? *todo : *background;
}

}  // namespace

const std::error_category& context_category() noexcept {
  static const ContextCategory category;
  return category;
}

namespace detail {

// TimerService: the process-wide deadline thread (see "Deadlines" in
// context.h). An indexed binary min-heap of (deadline, sequence number,
// context) ordered by deadline then by arrival; each context records its
// index so remove() is O(log n). The thread sleeps on wake_ (the parking
// layer) until the top deadline; add() releases wake_ when the new timer
// becomes the top.
class TimerService {
 public:
  // Allocated on first use and never destroyed (like the channels' parker
  // pool): a context may still be cancelled, or a deadline armed, while
  // static destructors run. Its thread is detached; idle, it sleeps on
  // wake_, and it ends with the process.
  static TimerService& instance() {
    static TimerService* service = new TimerService;
    return *service;
  }

  // add(n, when): arms n's timer. Caller holds n->mu (the lock order is
  // node mutex -> service mutex; the timer thread never holds the service
  // mutex while it cancels).
  void add(std::shared_ptr<CancelNode> n, ContextClock::time_point when) {
    bool wake = false;
    {
      std::lock_guard<GoMutex> lk(mu_);
      if (!started_) {
        std::thread([this] { run(); }).detach();  // may throw: nothing changed yet
        started_ = true;
      }
      heap_.push_back(Item{when, seq_++, std::move(n)});
      place(heap_.size() - 1);
      wake = sift_up(heap_.size() - 1) == 0;
    }
    if (wake) wake_.release();
  }

  // remove(n): disarms n's timer if it is armed.
  void remove(CancelNode* n) noexcept {
    std::shared_ptr<CancelNode> dropped;  // released after the lock
    {
      std::lock_guard<GoMutex> lk(mu_);
      const std::size_t i = n->timer_index;
      if (i == CancelNode::kNoTimer) return;
      dropped = take(i);
    }
  }

  // armed(): timers in the heap (for tests).
  std::size_t armed() {
    std::lock_guard<GoMutex> lk(mu_);
    return heap_.size();
  }

 private:
  struct Item {
    ContextClock::time_point when;
    uint64_t seq;
    std::shared_ptr<CancelNode> node;
  };

  static bool earlier(const Item& a, const Item& b) noexcept {
    return a.when < b.when || (a.when == b.when && a.seq < b.seq);
  }
  void place(std::size_t i) noexcept { heap_[i].node->timer_index = i; }
  std::size_t sift_up(std::size_t i) noexcept {
    while (i > 0) {
      const std::size_t p = (i - 1) / 2;
      if (!earlier(heap_[i], heap_[p])) break;
      std::swap(heap_[i], heap_[p]);
      place(i);
      place(p);
      i = p;
    }
    return i;
  }
  void sift_down(std::size_t i) noexcept {
    for (;;) {
      const std::size_t l = 2 * i + 1;
      const std::size_t r = l + 1;
      std::size_t m = i;
      if (l < heap_.size() && earlier(heap_[l], heap_[m])) m = l;
      if (r < heap_.size() && earlier(heap_[r], heap_[m])) m = r;
      if (m == i) return;
      std::swap(heap_[i], heap_[m]);
      place(i);
      place(m);
      i = m;
    }
  }
  // Removes heap_[i] and returns its context (lock held).
  std::shared_ptr<CancelNode> take(std::size_t i) noexcept {
    std::shared_ptr<CancelNode> n = std::move(heap_[i].node);
    n->timer_index = CancelNode::kNoTimer;
    const std::size_t last = heap_.size() - 1;
    if (i != last) {
      heap_[i] = std::move(heap_[last]);
      place(i);
    }
    heap_.pop_back();
    if (i < heap_.size()) sift_down(sift_up(i));
    return n;
  }

  void run() {
    for (;;) {
      std::unique_lock<GoMutex> lk(mu_);
      if (heap_.empty()) {
        lk.unlock();
        wake_.acquire();
        continue;
      }
      const ContextClock::time_point when = heap_.front().when;
      if (when <= ContextClock::now()) {
        std::shared_ptr<CancelNode> n = take(0);
        lk.unlock();
        n->cancel(true, ContextErrc::kDeadlineExceeded);
        continue;
      }
      lk.unlock();
      // Woken early by add() (a new earliest timer); a stale unit from an earlier add() only costs
      // one extra loop.
      (void)wake_.acquire_until(when);
    }
  }

  GoMutex mu_;
  std::vector<Item> heap_;   // guarded by mu_
  uint64_t seq_ = 0;         // guarded by mu_
  bool started_ = false;     // the thread runs; guarded by mu_
  Sema wake_;                // the timer thread sleeps here
};

void CancelNode::cancel(bool remove_from_parent, ContextErrc e) {
  // Nodes whose timers must be stopped and callbacks to run, gathered while
  // marking; children are strong references taken out of the child lists.
  std::vector<std::shared_ptr<CancelNode>> work;
  std::vector<CancelNode*> timed;
  std::vector<std::function<void()>> callbacks;

  // mark(n): Go's "c.err = err; close(d); take children" for one node, under
  // its own lock only. False if n was already done.
  auto mark = [&](CancelNode* n) {
    std::lock_guard<GoMutex> lk(n->mu);
    if (n->err.load(std::memory_order_relaxed) != 0) return false;
    n->err.store(static_cast<int>(e), std::memory_order_release);
    n->done.close();
    for (CancelNode* c = n->first_child; c != nullptr;) {
      CancelNode* next = c->next_sibling;
      c->prev_sibling = c->next_sibling = nullptr;
      c->linked = false;
      work.push_back(std::move(c->self_in_parent));
      c = next;
    }
    n->first_child = nullptr;
    for (auto& kv : n->after_funcs) callbacks.push_back(std::move(kv.second));
    n->after_funcs.clear();
    if (n->kind == Kind::kTimer) timed.push_back(n);
    return true;
  };

  if (!mark(this)) return;  // already done: Go returns early too
  // Descendants, breadth first. Each popped child stays alive in `keep`
  // until the end (its timer may still have to be stopped).
  std::vector<std::shared_ptr<CancelNode>> keep;
  while (!work.empty()) {
    std::shared_ptr<CancelNode> c = std::move(work.back());
    work.pop_back();
    mark(c.get());
    keep.push_back(std::move(c));
  }
  // The callbacks must not throw (context.h); running them through a
  // noexcept function turns a throw into std::terminate rather than leaving
  // the rest of the tree half processed.
  auto run = [](std::function<void()>& f) noexcept { f(); };
  for (auto& f : callbacks) run(f);

  if (remove_from_parent && parent_canceler != nullptr) {
    // Go's removeChild.
    std::shared_ptr<CancelNode> self;  // dropped after the parent's lock
    {
      std::lock_guard<GoMutex> lk(parent_canceler->mu);
      if (linked) {
        if (prev_sibling != nullptr) {
          prev_sibling->next_sibling = next_sibling;
        } else {
          parent_canceler->first_child = next_sibling;
        }
        if (next_sibling != nullptr) next_sibling->prev_sibling = prev_sibling;
        prev_sibling = next_sibling = nullptr;
        linked = false;
        self = std::move(self_in_parent);
      }
    }
  }
  for (CancelNode* n : timed) TimerService::instance().remove(n);
}

const void* context_value(const ContextNode* n, const void* key) noexcept {
  for (; n != nullptr; n = n->parent.get()) {
    if (n->kind == ContextNode::Kind::kValue && n->key == key) return n->value.get();
  }
  return nullptr;
}

namespace {

// Go's propagateCancel: links n under its nearest cancellable ancestor, or
// cancels it at once if that ancestor is already done.
void propagate_cancel(const std::shared_ptr<CancelNode>& n) {
  CancelNode* p = n->parent_canceler;
  if (p == nullptr) return;  // the parent can never be done
  int e;
  {
    std::lock_guard<GoMutex> lk(p->mu);
    e = p->err.load(std::memory_order_relaxed);
    if (e == 0) {
      n->next_sibling = p->first_child;
      if (p->first_child != nullptr) p->first_child->prev_sibling = n.get();
      p->first_child = n.get();
      n->linked = true;
      n->self_in_parent = n;
      return;
    }
  }
  n->cancel(false, static_cast<ContextErrc>(e));
}

}  // namespace

std::pair<Context, CancelFunc> make_deadline_context(const Context& parent,
                                                     ContextClock::time_point d) {
  const std::optional<ContextClock::time_point> cur = parent.deadline();
  if (cur && *cur < d) {
    // The current deadline is already sooner than the new one (Go's
    // comment): a plain cancellable child; the parent's deadline applies.
    return with_cancel(parent);
  }
  auto n = std::make_shared<CancelNode>(ContextNode::Kind::kTimer, parent.node_, d);
  propagate_cancel(n);
  if (d <= ContextClock::now()) {
    n->cancel(true, ContextErrc::kDeadlineExceeded);  // deadline has already passed
  } else {
    std::lock_guard<GoMutex> lk(n->mu);
    if (n->err.load(std::memory_order_relaxed) == 0) TimerService::instance().add(n, d);
  }
  return {Context(n), CancelFunc(n)};
}

std::size_t armed_timers_for_testing() { return TimerService::instance().armed(); }

}  // namespace detail

Context::Context() noexcept : node_(root(detail::ContextNode::Kind::kBackground)) {}

Context Context::background() noexcept {
  return Context(root(detail::ContextNode::Kind::kBackground));
}

Context Context::todo() noexcept { return Context(root(detail::ContextNode::Kind::kTodo)); }

const char* Context::name() const noexcept {
  switch (node_->kind) {
    case detail::ContextNode::Kind::kBackground:
      return "context.Background";
    case detail::ContextNode::Kind::kTodo:
      return "context.TODO";
    case detail::ContextNode::Kind::kCancel:
      return "WithCancel";
    case detail::ContextNode::Kind::kTimer:
      return "WithDeadline";
    case detail::ContextNode::Kind::kValue:
      return "WithValue";
  }
  return "context";
}

std::pair<Context, CancelFunc> with_cancel(const Context& parent) {
  auto n = std::make_shared<detail::CancelNode>(detail::ContextNode::Kind::kCancel, parent.node_,
                                                parent.node_->deadline);
  detail::propagate_cancel(n);
  return {Context(n), CancelFunc(n)};
}

AfterFuncStop after_func(const Context& ctx, std::function<void()> f) {
  AfterFuncStop s;
  s.node_ = ctx.node_;
  s.canceler_ = ctx.node_->canceler;
  if (s.canceler_ == nullptr) {
    // Never done: f will never run.
    s.never_ = std::make_shared<std::atomic<bool>>(false);
    return s;
  }
  {
    std::lock_guard<GoMutex> lk(s.canceler_->mu);
    if (s.canceler_->err.load(std::memory_order_relaxed) == 0) {
      s.id_ = s.canceler_->next_after_id++;
      s.canceler_->after_funcs.emplace(s.id_, std::move(f));
      return s;
    }
  }
  auto run = [](std::function<void()>& g) noexcept { g(); };
  run(f);  // already done: run it now (id_ stays 0)
  return s;
}

bool AfterFuncStop::operator()() const {
  if (never_) return !never_->exchange(true, std::memory_order_acq_rel);
  if (canceler_ == nullptr || id_ == 0) return false;
  std::lock_guard<GoMutex> lk(canceler_->mu);
  return canceler_->after_funcs.erase(id_) == 1;
}

}  // namespace syncscope
