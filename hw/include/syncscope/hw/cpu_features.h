// syncscope/hw/cpu_features.h — what the CPU says about itself.
//
// Offers:
//   struct CpuFeatures          identification and the few feature bits the
//                               benchmarks' context needs
//   const CpuFeatures& cpu_features()   read once, then cached
//   CpuFeatures read_cpu_features()     read now (uncached)
//   std::string aarch64_part_name(implementer, part)   "ARM Neoverse-N1", ...
//
// Sources:
//   x86-64   the cpuid instruction: leaf 0 (vendor), leaf 1 (family / model /
//            stepping with the extended fields, hypervisor bit ECX[31]),
//            leaves 0x80000002..4 (brand string), 0x80000007 EDX[8]
//            (invariant TSC), and the hypervisor leaf 0x40000000 (vendor
//            signature such as "KVMKVMKVM") when the hypervisor bit is set.
//   aarch64  getauxval(AT_HWCAP) / (AT_HWCAP2); HWCAP_ATOMICS is FEAT_LSE,
//            the ARMv8.1 atomics (LDADD, CAS, SWP...). MIDR_EL1 from
//            /sys/devices/system/cpu/cpu0/regs/identification/midr_el1 when
//            the kernel exposes it (not under qemu-user on an x86 host).
//
// This file has no third-party dependency: it is built in every
// configuration, including the aarch64 cross build.
//
// Thread safety: cpu_features() is safe to call from any thread (a
// function-local static, initialised once). CpuFeatures is a plain value.
//
// Memory ordering: the C++ guarantee for function-local statics: the one
// initialisation happens-before every return of cpu_features(), so every
// thread sees the complete value. Nothing is written afterwards.
#ifndef SYNCSCOPE_HW_CPU_FEATURES_H_
#define SYNCSCOPE_HW_CPU_FEATURES_H_

#include <cstdint>
#include <string>

namespace syncscope::hw {

// Fields that do not apply to the running architecture keep their default
// (empty / 0 / false); `arch` says which group is meaningful.
struct CpuFeatures {
  std::string arch;  // "x86_64", "aarch64" or "other" (the running build's ISA)

  // --- x86-64 (cpuid) ----------------------------------------------------
  std::string vendor;      // leaf 0 EBX:EDX:ECX, e.g. "GenuineIntel", "AuthenticAMD"
  int family = 0;          // base family, plus extended family when base == 0xF
  int model = 0;           // base model, plus extended model << 4 when family is 6 or >= 0xF
  int stepping = 0;        // leaf 1 EAX[3:0]
  std::string brand;       // leaves 0x80000002..4, whitespace-trimmed; may be empty
  bool invariant_tsc = false;      // CPUID.80000007H:EDX[8]
  bool hypervisor = false;         // CPUID.1:ECX[31]: running under a hypervisor
  std::string hypervisor_vendor;   // leaf 0x40000000 EBX:ECX:EDX, NULs stripped

  // --- aarch64 (getauxval, MIDR_EL1) --------------------------------------
  bool lse = false;                // HWCAP_ATOMICS (FEAT_LSE)
  std::uint64_t hwcap = 0;         // raw AT_HWCAP
  std::uint64_t hwcap2 = 0;        // raw AT_HWCAP2
  bool midr_available = false;     // MIDR_EL1 was readable from sysfs
  std::uint64_t midr = 0;          // raw MIDR_EL1 (valid when midr_available)
  int implementer = 0;             // MIDR[31:24]
  int variant = 0;                 // MIDR[23:20]
  int architecture = 0;            // MIDR[19:16]
  int part = 0;                    // MIDR[15:4]
  int revision = 0;                // MIDR[3:0]

  // A human-readable CPU model: the x86 brand string (or vendor/family/model
  // when there is none), the decoded MIDR on aarch64 ("ARM Neoverse-N1
  // r3p1"), or "unknown aarch64 CPU (MIDR unreadable)".
  std::string model_name() const;

  // One line listing every meaningful field for `arch`, e.g.
  // "x86_64 vendor=AuthenticAMD family=25 model=1 stepping=1 brand='AMD EPYC'
  //  invariant_tsc=no hypervisor=KVMKVMKVM".
  std::string to_string() const;
};

// The running CPU's features, read on first call and cached.
const CpuFeatures& cpu_features();

// Reads the features now, bypassing the cache (tests; cheap either way).
CpuFeatures read_cpu_features();

// Decodes a MIDR implementer/part pair into a name ("ARM Cortex-A57",
// "ARM Neoverse-V2", "Ampere AmpereOne", ...). Unknown pairs give
// "implementer 0xNN part 0xNNN".
std::string aarch64_part_name(int implementer, int part);

// Parses the text of a midr_el1 sysfs file ("0x00000000410fd0c0\n") into
// `f`'s MIDR fields. Returns false (and leaves `f` unchanged) on malformed
// text. Exposed so the decoding can be tested on any host.
bool parse_midr(const std::string& text, CpuFeatures& f);

}  // namespace syncscope::hw

#endif  // SYNCSCOPE_HW_CPU_FEATURES_H_
