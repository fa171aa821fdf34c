# The build's identity for circuitwatch_build_info and `--version`: the git
# revision and the build date, in a generated header (build_info.h:
# CW_REVISION, CW_BUILD_DATE) that only daemon.c and main.c include.
#
# Regenerated at every build (a commit changes the revision without a
# reconfigure) but rewritten only when it changes, so an unchanged tree
# recompiles nothing. The revision is `git describe`'s short hash
# (+"-dirty"), "unknown" outside a git tree, or CW_REVISION when given
# (a package built from a tarball). The date honours SOURCE_DATE_EPOCH
# (reproducible builds); without it, the time the revision was first built.
set(CW_REVISION "" CACHE STRING "git revision to report (default: from git, else unknown)")
set(CW_BUILD_INFO_DIR ${PROJECT_BINARY_DIR}/generated)
add_custom_target(cw_build_info_gen
  COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${CW_BUILD_INFO_DIR}/build_info.h
          -DREVISION=${CW_REVISION} -P ${PROJECT_SOURCE_DIR}/cmake/build_info_gen.cmake
  BYPRODUCTS ${CW_BUILD_INFO_DIR}/build_info.h
  COMMENT "" VERBATIM)
add_library(cw_build_info INTERFACE)
target_include_directories(cw_build_info INTERFACE ${CW_BUILD_INFO_DIR})
add_dependencies(cw_build_info cw_build_info_gen)
