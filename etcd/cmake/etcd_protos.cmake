# etcd's v3 .proto files, taken at configure time from Debian's
# golang-etcd-server-dev package: the .deb is fetched with `apt-get download`
# (or reused from apt's cache) and unpacked with `dpkg-deb -x` into the build
# directory. Nothing is installed and no third-party source enters the
# repository. Sets ETCD_GOCODE_DIR (the unpacked go.etcd.io/etcd tree, whose
# clientv3/concurrency and contrib/recipes are the reference algorithms).
set(_deb_dir ${CMAKE_BINARY_DIR}/_etcd_deb)
set(ETCD_GOCODE_DIR ${_deb_dir}/root/usr/share/gocode/src/go.etcd.io/etcd)
if(NOT EXISTS ${ETCD_GOCODE_DIR}/etcdserver/etcdserverpb/rpc.proto)
  file(MAKE_DIRECTORY ${_deb_dir})
  file(GLOB _deb ${_deb_dir}/golang-etcd-server-dev_*.deb)
  if(NOT _deb)
    file(GLOB _deb /var/cache/apt/archives/golang-etcd-server-dev_*.deb)
  endif()
  if(NOT _deb)
    message(STATUS "etcd protos: apt-get download golang-etcd-server-dev")
    execute_process(COMMAND apt-get download golang-etcd-server-dev
                    WORKING_DIRECTORY ${_deb_dir} RESULT_VARIABLE _rc
                    OUTPUT_QUIET ERROR_VARIABLE _err)
    file(GLOB _deb ${_deb_dir}/golang-etcd-server-dev_*.deb)
    if(NOT _deb)
      message(FATAL_ERROR "etcd protos: 'apt-get download golang-etcd-server-dev' failed "
              "(${_rc}): ${_err}\nConfigure with -DSYNCSCOPE_BUILD_ETCD=OFF to build without "
              "the etcd primitives.")
    endif()
  endif()
  list(GET _deb 0 _deb)
  execute_process(COMMAND dpkg-deb -x ${_deb} ${_deb_dir}/root RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0 OR NOT EXISTS ${ETCD_GOCODE_DIR}/etcdserver/etcdserverpb/rpc.proto)
    message(FATAL_ERROR "etcd protos: 'dpkg-deb -x ${_deb}' did not give "
            "${ETCD_GOCODE_DIR}/etcdserver/etcdserverpb/rpc.proto")
  endif()
endif()
