// Counting allocator — see counting_allocator.h. Replaces every replaceable
// global allocation and deallocation function ([new.delete] of C++17/20).
#include "pool/counting_allocator.h"

#include <cstddef>
#include <cstdlib>
#include <new>

namespace syncscope::suites {
namespace {

// The calling thread's counters. constinit + trivially destructible: no TLS
// initialisation guard and no destructor, so operator new may run before
// the thread's other thread_locals exist and after they are gone.
constinit thread_local AllocCounts t_counts{};

// One attempt: n bytes aligned to `align` (at most max_align_t: malloc's
// alignment), counted on success.
void* allocate_once(std::size_t n, std::size_t align) noexcept {
  if (n == 0) n = 1;  // operator new(0) must return a unique non-null pointer
  void* p = nullptr;
  if (align <= alignof(std::max_align_t)) {
    p = std::malloc(n);
  } else if (posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, n) != 0) {
    p = nullptr;
  }
  if (p != nullptr) {
    ++t_counts.allocs;
    t_counts.bytes += n;
  }
  return p;
}

// The standard's loop for the throwing forms: on failure call the
// new-handler and retry; without one, throw std::bad_alloc. A handler may
// itself throw; that propagates to the new-expression.
void* allocate_or_throw(std::size_t n, std::size_t align) {
  for (;;) {
    if (void* p = allocate_once(n, align)) return p;
    std::new_handler h = std::get_new_handler();
    if (h == nullptr) throw std::bad_alloc();
    h();
  }
}

// The nothrow forms behave as if they called the throwing form and
// returned null on std::bad_alloc ([new.delete.single]/7).
void* allocate_nothrow(std::size_t n, std::size_t align) noexcept {
  try {
    return allocate_or_throw(n, align);
  } catch (...) {
    return nullptr;
  }
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  ++t_counts.frees;
  std::free(p);
}

constexpr std::size_t kDefault = 0;  // "no extended alignment"

}  // namespace

AllocCounts thread_alloc_counts() noexcept { return t_counts; }

}  // namespace syncscope::suites

using syncscope::suites::allocate_nothrow;
using syncscope::suites::allocate_or_throw;
using syncscope::suites::kDefault;
using syncscope::suites::release;

// ---- allocation ----------------------------------------------------------
void* operator new(std::size_t n) { return allocate_or_throw(n, kDefault); }
void* operator new[](std::size_t n) { return allocate_or_throw(n, kDefault); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return allocate_nothrow(n, kDefault);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return allocate_nothrow(n, kDefault);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return allocate_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return allocate_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_nothrow(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_nothrow(n, static_cast<std::size_t>(a));
}

// ---- deallocation (sized and aligned forms free the same way) -------------
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
