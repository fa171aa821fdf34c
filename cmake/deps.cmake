# Every dependency comes from a Debian package through pkg-config. A missing
# one stops the configure step with the package to install.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkgconf (or run deploy/install-deps.sh)")
endif()

function(cw_require target pcname debpkg)
  pkg_check_modules(${target} QUIET IMPORTED_TARGET GLOBAL ${pcname})
  if(NOT ${target}_FOUND)
    message(FATAL_ERROR "${pcname} not found by pkg-config: apt-get install ${debpkg} (or run deploy/install-deps.sh)")
  endif()
  message(STATUS "found ${pcname} ${${target}_VERSION}")
endfunction()

cw_require(MHD       libmicrohttpd  libmicrohttpd-dev)
cw_require(UV        libuv          libuv1-dev)
cw_require(YAML      yaml-0.1       libyaml-dev)
cw_require(ZLIB      zlib           zlib1g-dev)
cw_require(CRYPT     libcrypt       libcrypt-dev)
cw_require(GNUTLS    gnutls         libgnutls28-dev)
cw_require(PROTOBUFC libprotobuf-c  libprotobuf-c-dev)
cw_require(PCAP      libpcap        libpcap-dev)
cw_require(RDKAFKA   rdkafka        librdkafka-dev)
cw_require(CMOCKA    cmocka         libcmocka-dev)
cw_require(JANSSON   jansson        libjansson-dev)
cw_require(MNL       libmnl         libmnl-dev)

find_path(UTHASH_INCLUDE_DIR uthash.h)
if(NOT UTHASH_INCLUDE_DIR)
  message(FATAL_ERROR "uthash.h not found: apt-get install uthash-dev (or run deploy/install-deps.sh)")
endif()

find_package(Threads REQUIRED)
