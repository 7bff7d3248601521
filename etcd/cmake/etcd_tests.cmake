# Tests of syncscope_etcd. Each test binary is one CTest test (not one per
# TEST): a binary starts its single-node etcd once and shares it between its
# cases, which keeps etcd start-ups (about 1 s each, 3 s for a cluster) out of
# ./run.sh test's budget. Every etcd they use is started and stopped by the
# tests themselves (or given by SYNCSCOPE_ETCD_ENDPOINTS for the single-node
# ones); the cleanup fixture etcd_no_leftover_processes asserts that no etcd
# whose data directory is under this build outlives them.
set(_etcd_testdata ${CMAKE_CURRENT_BINARY_DIR}/testdata)
add_library(syncscope_etcd_test_env STATIC ${CMAKE_CURRENT_SOURCE_DIR}/src/etcd_test_env.cc)
target_link_libraries(syncscope_etcd_test_env PUBLIC syncscope_etcd GTest::gtest)
target_compile_definitions(syncscope_etcd_test_env PRIVATE
                           SYNCSCOPE_ETCD_TEST_DIR="${_etcd_testdata}")
target_include_directories(syncscope_etcd_test_env PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)

file(GLOB _etcd_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*_test.cc)
set(_etcd_tsan_supp ${CMAKE_CURRENT_SOURCE_DIR}/tsan_grpc.supp)
foreach(t ${_etcd_tests})
  get_filename_component(n ${t} NAME_WE)
  # tsan_supp_test checks the ThreadSanitizer suppressions themselves (a race
  # planted in our code is still reported): built only in that configuration.
  if(n STREQUAL "tsan_supp_test" AND NOT SYNCSCOPE_SANITIZER STREQUAL "thread")
    continue()
  endif()
  add_executable(etcd_${n} ${t})
  target_link_libraries(etcd_${n} PRIVATE syncscope_etcd_test_env Threads::Threads)
  if(n STREQUAL "tsan_supp_test")
    target_link_libraries(etcd_${n} PRIVATE syncscope_etcd_proto)
    target_compile_definitions(etcd_${n} PRIVATE SYNCSCOPE_ETCD_TSAN_SUPP="${_etcd_tsan_supp}")
  endif()
  add_test(NAME etcd_${n} COMMAND etcd_${n})
  set_tests_properties(etcd_${n} PROPERTIES TIMEOUT 300 FIXTURES_REQUIRED etcd_processes
                       ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1 suppressions=${_etcd_tsan_supp}")
endforeach()
add_test(NAME etcd_no_leftover_processes
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/tools/check_no_etcd_left.py
                 ${_etcd_testdata})
set_tests_properties(etcd_no_leftover_processes PROPERTIES FIXTURES_CLEANUP etcd_processes)
