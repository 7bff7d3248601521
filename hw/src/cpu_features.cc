// CPU identification: cpuid on x86-64, getauxval + MIDR_EL1 on aarch64.
// See syncscope/hw/cpu_features.h.
#include "syncscope/hw/cpu_features.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace syncscope::hw {
namespace {

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string hex(std::uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}

#if defined(__x86_64__) || defined(__i386__)
// Appends the 4 bytes of each register, little-endian, as cpuid strings are
// laid out.
void append_regs(std::string& out, std::initializer_list<unsigned> regs) {
  for (unsigned r : regs) {
    char bytes[4];
    std::memcpy(bytes, &r, 4);
    out.append(bytes, 4);
  }
}

void read_x86(CpuFeatures& f) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  const unsigned max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf == 0) return;  // no cpuid (cannot happen on x86-64)

  __cpuid(0, a, b, c, d);
  append_regs(f.vendor, {b, d, c});
  f.vendor = std::string(f.vendor.c_str());  // drop any NUL padding

  if (max_leaf >= 1) {
    __cpuid(1, a, b, c, d);
    const int base_family = static_cast<int>((a >> 8) & 0xF);
    const int base_model = static_cast<int>((a >> 4) & 0xF);
    const int ext_family = static_cast<int>((a >> 20) & 0xFF);
    const int ext_model = static_cast<int>((a >> 16) & 0xF);
    f.stepping = static_cast<int>(a & 0xF);
    // Intel SDM vol. 2A, CPUID "Feature Information": the extended family is
    // added only for family 0xF; the extended model is prepended for
    // families 6 and 0xF. AMD applies the same rule (family 0xF and above).
    f.family = base_family == 0xF ? base_family + ext_family : base_family;
    f.model = (base_family == 0x6 || base_family == 0xF) ? (ext_model << 4) + base_model
                                                         : base_model;
    f.hypervisor = (c >> 31) & 1u;
  }

  const unsigned max_ext = __get_cpuid_max(0x80000000u, nullptr);
  if (max_ext >= 0x80000004u) {
    std::string brand;
    for (unsigned leaf = 0x80000002u; leaf <= 0x80000004u; ++leaf) {
      __cpuid(leaf, a, b, c, d);
      append_regs(brand, {a, b, c, d});
    }
    f.brand = trim(std::string(brand.c_str()));
  }
  if (max_ext >= 0x80000007u) {
    __cpuid(0x80000007u, a, b, c, d);
    f.invariant_tsc = (d >> 8) & 1u;
  }

  // The hypervisor leaves (0x40000000...) are defined only when the
  // hypervisor bit is set; __get_cpuid would range-check them against the
  // basic leaves, so ask directly.
  if (f.hypervisor) {
    __cpuid(0x40000000u, a, b, c, d);
    std::string sig;
    append_regs(sig, {b, c, d});
    std::string clean;
    for (char ch : sig)
      if (ch != '\0') clean.push_back(ch);
    f.hypervisor_vendor = trim(clean);
  }
}
#endif

#if defined(__aarch64__)
// Values from the Linux uapi <asm/hwcap.h>; spelled here so the file does
// not depend on the libc headers' vintage.
constexpr unsigned long kHwcapAtomics = 1ul << 8;

void read_aarch64(CpuFeatures& f) {
  f.hwcap = getauxval(AT_HWCAP);
  f.hwcap2 = getauxval(AT_HWCAP2);
  f.lse = (f.hwcap & kHwcapAtomics) != 0;
  std::ifstream in("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1");
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    parse_midr(ss.str(), f);
  }
}
#endif

}  // namespace

bool parse_midr(const std::string& text, CpuFeatures& f) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(t.c_str(), &end, 0);
  if (errno != 0 || end == t.c_str() || *end != '\0') return false;
  f.midr_available = true;
  f.midr = v;
  f.implementer = static_cast<int>((v >> 24) & 0xFF);
  f.variant = static_cast<int>((v >> 20) & 0xF);
  f.architecture = static_cast<int>((v >> 16) & 0xF);
  f.part = static_cast<int>((v >> 4) & 0xFFF);
  f.revision = static_cast<int>(v & 0xF);
  return true;
}

std::string aarch64_part_name(int implementer, int part) {
  // A few implementers and parts seen on servers, boards and under qemu;
  // the rest is reported numerically. Source: the vendors' TRMs (MIDR_EL1
  // reset values), as also tabulated by util-linux lscpu.
  struct Entry {
    int implementer;
    int part;
    const char* name;
  };
  static constexpr Entry kParts[] = {
      {0x41, 0xd03, "ARM Cortex-A53"},     {0x41, 0xd04, "ARM Cortex-A35"},
      {0x41, 0xd05, "ARM Cortex-A55"},     {0x41, 0xd07, "ARM Cortex-A57"},
      {0x41, 0xd08, "ARM Cortex-A72"},     {0x41, 0xd09, "ARM Cortex-A73"},
      {0x41, 0xd0a, "ARM Cortex-A75"},     {0x41, 0xd0b, "ARM Cortex-A76"},
      {0x41, 0xd0c, "ARM Neoverse-N1"},    {0x41, 0xd0d, "ARM Cortex-A77"},
      {0x41, 0xd40, "ARM Neoverse-V1"},    {0x41, 0xd41, "ARM Cortex-A78"},
      {0x41, 0xd44, "ARM Cortex-X1"},      {0x41, 0xd46, "ARM Cortex-A510"},
      {0x41, 0xd47, "ARM Cortex-A710"},    {0x41, 0xd48, "ARM Cortex-X2"},
      {0x41, 0xd49, "ARM Neoverse-N2"},    {0x41, 0xd4f, "ARM Neoverse-V2"},
      {0x41, 0xd80, "ARM Cortex-A520"},    {0x41, 0xd81, "ARM Cortex-A720"},
      {0x41, 0xd82, "ARM Cortex-X4"},      {0x41, 0xd84, "ARM Neoverse-V3"},
      {0x41, 0xd8e, "ARM Neoverse-N3"},    {0x48, 0xd01, "HiSilicon TaiShan-v110"},
      {0x4e, 0x004, "NVIDIA Carmel"},      {0x46, 0x001, "Fujitsu A64FX"},
      {0xc0, 0xac3, "Ampere AmpereOne"},   {0x61, 0x022, "Apple M1 Icestorm"},
      {0x61, 0x023, "Apple M1 Firestorm"},
  };
  for (const Entry& e : kParts)
    if (e.implementer == implementer && e.part == part) return e.name;
  return "implementer " + hex(static_cast<std::uint64_t>(implementer), 2) + " part " +
         hex(static_cast<std::uint64_t>(part), 3);
}

CpuFeatures read_cpu_features() {
  CpuFeatures f;
#if defined(__x86_64__)
  f.arch = "x86_64";
  read_x86(f);
#elif defined(__aarch64__)
  f.arch = "aarch64";
  read_aarch64(f);
#else
  f.arch = "other";
#endif
  return f;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = read_cpu_features();
  return features;
}

std::string CpuFeatures::model_name() const {
  if (arch == "x86_64") {
    if (!brand.empty()) return brand;
    if (vendor.empty()) return "unknown x86_64 CPU";
    return vendor + " family " + std::to_string(family) + " model " + std::to_string(model);
  }
  if (arch == "aarch64") {
    if (!midr_available) return "unknown aarch64 CPU (MIDR unreadable)";
    return aarch64_part_name(implementer, part) + " r" + std::to_string(variant) + "p" +
           std::to_string(revision);
  }
  return "unknown CPU";
}

std::string CpuFeatures::to_string() const {
  std::ostringstream os;
  os << arch;
  if (arch == "x86_64") {
    os << " vendor=" << vendor << " family=" << family << " model=" << model
       << " stepping=" << stepping << " brand='" << brand << "'"
       << " invariant_tsc=" << (invariant_tsc ? "yes" : "no")
       << " hypervisor=" << (hypervisor ? (hypervisor_vendor.empty() ? std::string("yes")
                                                                     : hypervisor_vendor)
                                        : std::string("no"));
  } else if (arch == "aarch64") {
    os << " lse=" << (lse ? "yes" : "no") << " hwcap=" << hex(hwcap, 1)
       << " hwcap2=" << hex(hwcap2, 1);
    if (midr_available)
      os << " midr=" << hex(midr, 8) << " (" << model_name() << ")";
    else
      os << " midr=unreadable";
  }
  return os.str();
}

}  // namespace syncscope::hw
