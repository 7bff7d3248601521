// syncscope-hwinfo: hardware facts for run.sh. See hwinfo.h.
#include <iostream>

#include "hwinfo.h"

int main(int argc, char** argv) {
  return syncscope::hw::hwinfo_main(argc, argv, std::cout, std::cerr);
}
