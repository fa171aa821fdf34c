# CPack post-build script (CPACK_POST_BUILD_SCRIPTS, cmake/install.cmake): makes
# the -dbgsym package that CPACK_DEBIAN_DEBUGINFO_PACKAGE writes look as
# debhelper's does, so that lintian accepts it too. CPack 3.25 writes its
# md5sums with the absolute paths of its staging folder (lintian:
# md5sums-lists-nonexistent-file) and gives it no copyright or changelog
# (no-copyright-file, no-changelog); debhelper makes
# /usr/share/doc/PACKAGE-dbgsym a symlink to /usr/share/doc/PACKAGE, which it
# depends on (= the same version). The .ddeb is unpacked, mended and rebuilt.
set(_ddebs)
foreach(_f IN LISTS CPACK_PACKAGE_FILES)
  get_filename_component(_dir "${_f}" DIRECTORY)
  file(GLOB _found "${_dir}/*-dbgsym_*.ddeb")
  list(APPEND _ddebs ${_found})
endforeach()
list(REMOVE_DUPLICATES _ddebs)
foreach(_ddeb IN LISTS _ddebs)
  set(_tree "${_ddeb}.tree")
  file(REMOVE_RECURSE "${_tree}")
  execute_process(COMMAND dpkg-deb -R "${_ddeb}" "${_tree}" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "deb-dbgsym: dpkg-deb -R ${_ddeb} failed")
  endif()
  execute_process(COMMAND sh -c "find usr -type f | LC_ALL=C sort | xargs md5sum > DEBIAN/md5sums"
                  WORKING_DIRECTORY "${_tree}" RESULT_VARIABLE _rc)
  get_filename_component(_name "${_ddeb}" NAME)
  string(REGEX REPLACE "-dbgsym_.*" "" _pkg "${_name}")
  file(MAKE_DIRECTORY "${_tree}/usr/share/doc")
  file(CREATE_LINK "${_pkg}" "${_tree}/usr/share/doc/${_pkg}-dbgsym" SYMBOLIC)
  execute_process(COMMAND dpkg-deb --root-owner-group --build "${_tree}" "${_ddeb}"
                  OUTPUT_QUIET RESULT_VARIABLE _rc2)
  file(REMOVE_RECURSE "${_tree}")
  if(NOT _rc EQUAL 0 OR NOT _rc2 EQUAL 0)
    message(FATAL_ERROR "deb-dbgsym: mending ${_ddeb} failed")
  endif()
endforeach()
