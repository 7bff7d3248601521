// Tests for syncscope/hw/cpu_features.h: the cpuid / getauxval readings agree
// with what the kernel reports, and MIDR decoding.
#include "syncscope/hw/cpu_features.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace syncscope::hw {
namespace {

TEST(CpuFeatures, CachedValueMatchesAFreshRead) {
  const CpuFeatures& cached = cpu_features();
  const CpuFeatures fresh = read_cpu_features();
  EXPECT_EQ(cached.arch, fresh.arch);
  EXPECT_EQ(cached.vendor, fresh.vendor);
  EXPECT_EQ(cached.family, fresh.family);
  EXPECT_EQ(cached.model, fresh.model);
  EXPECT_EQ(cached.brand, fresh.brand);
  EXPECT_EQ(cached.lse, fresh.lse);
  EXPECT_EQ(cached.midr, fresh.midr);
  EXPECT_EQ(&cached, &cpu_features()) << "cpu_features() must return the one cached value";
  EXPECT_FALSE(cached.to_string().empty());
  EXPECT_FALSE(cached.model_name().empty());
}

TEST(CpuFeatures, ParseMidrDecodesEveryField) {
  CpuFeatures f;
  ASSERT_TRUE(parse_midr("0x00000000413fd0c1\n", f));
  EXPECT_TRUE(f.midr_available);
  EXPECT_EQ(f.midr, 0x413fd0c1u);
  EXPECT_EQ(f.implementer, 0x41);
  EXPECT_EQ(f.variant, 0x3);
  EXPECT_EQ(f.architecture, 0xf);
  EXPECT_EQ(f.part, 0xd0c);
  EXPECT_EQ(f.revision, 0x1);
  f.arch = "aarch64";
  EXPECT_EQ(f.model_name(), "ARM Neoverse-N1 r3p1");
  EXPECT_NE(f.to_string().find("midr=0x413fd0c1"), std::string::npos) << f.to_string();
}

TEST(CpuFeatures, ParseMidrRejectsMalformedText) {
  CpuFeatures f;
  EXPECT_FALSE(parse_midr("", f));
  EXPECT_FALSE(parse_midr("  \n", f));
  EXPECT_FALSE(parse_midr("0x41zz", f));
  EXPECT_FALSE(parse_midr("not a number", f));
  EXPECT_FALSE(f.midr_available) << "a rejected text must leave the value unchanged";
}

TEST(CpuFeatures, PartNamesKnownAndUnknown) {
  EXPECT_EQ(aarch64_part_name(0x41, 0xd07), "ARM Cortex-A57");
  EXPECT_EQ(aarch64_part_name(0x41, 0xd4f), "ARM Neoverse-V2");
  EXPECT_EQ(aarch64_part_name(0x7f, 0x123), "implementer 0x7f part 0x123");
}

#if defined(__x86_64__)

// Fields of the first "processor" block of /proc/cpuinfo.
std::map<std::string, std::string> first_cpuinfo_block() {
  std::map<std::string, std::string> fields;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) {
      if (!fields.empty()) break;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto key = line.substr(0, colon);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    auto value = colon + 1 < line.size() ? line.substr(colon + 1) : std::string();
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    fields.emplace(key, value);
  }
  return fields;
}

TEST(CpuFeaturesX86, AgreesWithProcCpuinfo) {
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(f.arch, "x86_64");
  ASSERT_FALSE(f.vendor.empty());
  const auto info = first_cpuinfo_block();
  ASSERT_TRUE(info.count("vendor_id")) << "/proc/cpuinfo has no vendor_id";
  EXPECT_EQ(f.vendor, info.at("vendor_id"));
  EXPECT_EQ(std::to_string(f.family), info.at("cpu family"));
  EXPECT_EQ(std::to_string(f.model), info.at("model"));
  EXPECT_EQ(std::to_string(f.stepping), info.at("stepping"));
  // The kernel reads the brand string once at boot; a hypervisor may present
  // another one to CPUID later (seen: kernel "AMD EPYC", CPUID "Oxide Virtual
  // Turin-like Processor"). On bare metal the two must agree.
  if (!f.brand.empty() && !f.hypervisor) {
    EXPECT_EQ(f.brand, info.at("model name"));
  } else if (!f.brand.empty() && f.brand != info.at("model name")) {
    RecordProperty("brand_differs_from_kernel", f.brand + " vs " + info.at("model name"));
  }
  // The kernel's "hypervisor" flag is CPUID.1:ECX[31] itself.
  const std::string flags = " " + info.at("flags") + " ";
  EXPECT_EQ(f.hypervisor, flags.find(" hypervisor ") != std::string::npos);
  if (!f.hypervisor) {
    EXPECT_TRUE(f.hypervisor_vendor.empty());
  }
  EXPECT_NE(f.to_string().find("vendor=" + f.vendor), std::string::npos) << f.to_string();
}

#endif  // __x86_64__

#if defined(__aarch64__)

TEST(CpuFeaturesAarch64, LseMatchesAuxvAndQemuModel) {
  const CpuFeatures& f = cpu_features();
  EXPECT_EQ(f.arch, "aarch64");
  EXPECT_EQ(f.hwcap, getauxval(AT_HWCAP));
  EXPECT_EQ(f.lse, (getauxval(AT_HWCAP) & HWCAP_ATOMICS) != 0);
  EXPECT_NE(f.to_string().find(f.lse ? "lse=yes" : "lse=no"), std::string::npos)
      << f.to_string();
  // Under qemu-user the CPU model is chosen by QEMU_CPU (run.sh and the
  // cross-build instructions set it): "max" implements FEAT_LSE, Cortex-A57
  // is ARMv8.0 and does not.
  if (const char* model = std::getenv("QEMU_CPU")) {
    const std::string m = model;
    if (m == "max") {
      EXPECT_TRUE(f.lse) << "QEMU_CPU=max must report HWCAP_ATOMICS";
    }
    if (m == "cortex-a57") {
      EXPECT_FALSE(f.lse) << "QEMU_CPU=cortex-a57 has no LSE";
    }
  }
}

#endif  // __aarch64__

}  // namespace
}  // namespace syncscope::hw
