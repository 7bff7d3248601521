// The per-arch user-space context switch (see syncscope/internal/context_switch.h
// for the design and why it is written here). One global asm block per
// architecture; the C++ part only lays out a fresh context.
#include <syncscope/internal/context_switch.h>

#include <cstdint>
#include <cstring>

extern "C" void syncscope_ctx_trampoline();

#if defined(__x86_64__)
// Saved frame, from the saved stack pointer upwards (64 bytes):
//   [0]  MXCSR (4 bytes), x87 control word (2 bytes), 2 bytes padding
//   [8]  r15  [16] r14  [24] r13  [32] r12  [40] rbx  [48] rbp
//   [56] return address
// The trampoline is the return address of a fresh context: r12 holds the
// entry function, r13 its argument. `.cfi_undefined rip` marks the bottom
// of a goroutine's stack for debuggers and unwinders.
asm(R"(
  .pushsection .text
  .globl syncscope_ctx_switch
  .type syncscope_ctx_switch, @function
  .p2align 4
syncscope_ctx_switch:
  .cfi_startproc
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .cfi_endproc
  .size syncscope_ctx_switch, .-syncscope_ctx_switch

  .globl syncscope_ctx_trampoline
  .type syncscope_ctx_trampoline, @function
  .p2align 4
syncscope_ctx_trampoline:
  .cfi_startproc
  .cfi_undefined rip
  movq %r13, %rdi
  callq *%r12
  ud2
  .cfi_endproc
  .size syncscope_ctx_trampoline, .-syncscope_ctx_trampoline
  .popsection
)");

namespace syncscope::internal {
Context ctx_make(void* stack_top, void (*entry)(void*), void* arg) noexcept {
  // After the switch pops its 64 bytes, rsp must be 16-byte aligned so that
  // the trampoline's call enters `entry` with rsp % 16 == 8 (the SysV rule).
  auto top = reinterpret_cast<uintptr_t>(stack_top) & ~uintptr_t{15};
  auto* sp = reinterpret_cast<uint64_t*>(top - 64 - 16);
  std::memset(sp, 0, 64);
  const uint32_t mxcsr = 0x1F80;  // all exceptions masked, round to nearest
  const uint16_t fpucw = 0x037F;  // x87 default
  std::memcpy(reinterpret_cast<char*>(sp), &mxcsr, 4);
  std::memcpy(reinterpret_cast<char*>(sp) + 4, &fpucw, 2);
  sp[4] = reinterpret_cast<uint64_t>(entry);  // r12
  sp[3] = reinterpret_cast<uint64_t>(arg);    // r13
  sp[7] = reinterpret_cast<uint64_t>(&syncscope_ctx_trampoline);
  return sp;
}
}  // namespace syncscope::internal

#elif defined(__aarch64__)
// Saved frame, from the saved stack pointer upwards (160 bytes):
//   [0] x19 x20  [16] x21 x22  [32] x23 x24  [48] x25 x26  [64] x27 x28
//   [80] x29 x30 (x30 = where the switch returns)  [96..159] d8-d15
// A fresh context has x30 = trampoline, x19 = entry, x20 = its argument.
asm(R"(
  .pushsection .text
  .globl syncscope_ctx_switch
  .type syncscope_ctx_switch, %function
  .p2align 4
syncscope_ctx_switch:
  .cfi_startproc
  sub sp, sp, #160
  stp x19, x20, [sp, #0]
  stp x21, x22, [sp, #16]
  stp x23, x24, [sp, #32]
  stp x25, x26, [sp, #48]
  stp x27, x28, [sp, #64]
  stp x29, x30, [sp, #80]
  stp d8, d9, [sp, #96]
  stp d10, d11, [sp, #112]
  stp d12, d13, [sp, #128]
  stp d14, d15, [sp, #144]
  mov x9, sp
  str x9, [x0]
  mov sp, x1
  ldp x19, x20, [sp, #0]
  ldp x21, x22, [sp, #16]
  ldp x23, x24, [sp, #32]
  ldp x25, x26, [sp, #48]
  ldp x27, x28, [sp, #64]
  ldp x29, x30, [sp, #80]
  ldp d8, d9, [sp, #96]
  ldp d10, d11, [sp, #112]
  ldp d12, d13, [sp, #128]
  ldp d14, d15, [sp, #144]
  add sp, sp, #160
  ret
  .cfi_endproc
  .size syncscope_ctx_switch, .-syncscope_ctx_switch

  .globl syncscope_ctx_trampoline
  .type syncscope_ctx_trampoline, %function
  .p2align 4
syncscope_ctx_trampoline:
  .cfi_startproc
  .cfi_undefined x30
  mov x0, x20
  blr x19
  brk #0
  .cfi_endproc
  .size syncscope_ctx_trampoline, .-syncscope_ctx_trampoline
  .popsection
)");

namespace syncscope::internal {
Context ctx_make(void* stack_top, void (*entry)(void*), void* arg) noexcept {
  auto top = reinterpret_cast<uintptr_t>(stack_top) & ~uintptr_t{15};
  auto* sp = reinterpret_cast<uint64_t*>(top - 160 - 16);
  std::memset(sp, 0, 160);
  sp[0] = reinterpret_cast<uint64_t>(entry);                       // x19
  sp[1] = reinterpret_cast<uint64_t>(arg);                         // x20
  sp[11] = reinterpret_cast<uint64_t>(&syncscope_ctx_trampoline);  // x30
  return sp;
}
}  // namespace syncscope::internal

#else
#error "syncscope's goroutine runtime has a context switch for x86-64 and AArch64 only"
#endif
