# Toolchain file: cross-compile for ARM64 with Debian's g++-aarch64-linux-gnu.
# Binaries run under qemu-aarch64 -L /usr/aarch64-linux-gnu (see run.sh test).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# The emulator CTest and gtest_discover_tests use; the CPU model is chosen by
# QEMU_CPU in the environment (run.sh sets max or cortex-a57).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/aarch64-linux-gnu)
set(SYNCSCOPE_GTEST_FROM_SOURCE ON CACHE BOOL "" FORCE)
set(SYNCSCOPE_MINIMAL_DEPS ON CACHE BOOL "" FORCE)
