// syncscope/internal/context_switch.h — the user-space switch between two
// stacks that the goroutine runtime (syncscope/goroutine.h) is built on.
//
// This file offers:
//   ctx_switch(save, to)      saves the callee-saved registers of the caller
//                             on its stack, stores the stack pointer in *save,
//                             loads `to` as the stack pointer, restores the
//                             registers saved there and returns into that
//                             context.
//   ctx_make(stack_top, entry, arg)
//                             builds a fresh context at the top of a stack:
//                             the first ctx_switch to it calls entry(arg) on
//                             that stack. entry must never return (it
//                             switches away for the last time instead).
//
// Why our own switch (and not Boost.Context or ucontext): the switch must
// exist and be tested on x86-64 and on ARM64 (the ARM64 tests run a cross
// build under qemu), and Debian's cross sysroot has no arm64 Boost; the
// core library stays dependency-free. swapcontext(3) would do, but it saves
// and restores the signal mask with a system call on every switch (about
// a microsecond), which is the very cost goroutines exist to avoid. The
// switch below is the idea of Boost.Context's fcontext (Oliver Kowalke) and
// of Go's gogo/mcall: since it is an ordinary function call, the caller has
// already spilled every caller-saved register, so only the callee-saved
// ones of the ABI and the stack pointer need saving:
//   x86-64 SysV: rbx rbp r12-r15, MXCSR control bits and x87 control word
//                (callee-saved per the ABI), rsp; 64 bytes per context.
//   AArch64 AAPCS64: x19-x28, x29 (fp), x30 (lr), d8-d15, sp; 160 bytes.
// The code is written here (primitives/src/context_switch.cc) for this
// project; its cost is measured by the `goroutines` suite (switch_cost).
//
// Legal use: only the goroutine scheduler calls these, with interrupts of
// the usual kind (signals) allowed at any point: a signal handler runs on
// whichever stack is current, so every stack must have room for one.

#ifndef SYNCSCOPE_INTERNAL_CONTEXT_SWITCH_H_
#define SYNCSCOPE_INTERNAL_CONTEXT_SWITCH_H_

#include <cstddef>

namespace syncscope::internal {

// An opaque saved context: the stack pointer of a suspended stack, pointing
// at the registers ctx_switch pushed there.
using Context = void*;

extern "C" {
// Implemented in assembly (context_switch.cc). Returns when some other
// context switches back to *save.
void syncscope_ctx_switch(Context* save, Context to);
}

inline void ctx_switch(Context* save, Context to) { syncscope_ctx_switch(save, to); }

// Builds a context at `stack_top` (the highest address of a stack, exclusive)
// whose first activation calls entry(arg).
Context ctx_make(void* stack_top, void (*entry)(void*), void* arg) noexcept;

}  // namespace syncscope::internal

#endif  // SYNCSCOPE_INTERNAL_CONTEXT_SWITCH_H_
