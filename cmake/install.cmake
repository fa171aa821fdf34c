# What `cmake --install` puts where, and the .deb that CPack builds from it.
#   cmake --install build/release --prefix /usr        (or DESTDIR=... for staging)
#   cd build/release && cpack -G DEB                   (circuitwatch_VERSION_ARCH.deb)
# A system daemon: /usr unless told otherwise (then /etc for the config).
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "Install prefix" FORCE)
endif()
include(GNUInstallDirs)

# With the prefix /usr, GNUInstallDirs puts the configuration in /etc; under
# any other prefix (chosen at configure time) it stays inside it (PREFIX/etc).
# systemd looks in /usr/lib (not the multiarch libdir) for units and sysusers.
install(FILES deploy/systemd/circuitwatch.service
        DESTINATION lib/systemd/system)
install(FILES deploy/systemd/circuitwatch.sysusers
        DESTINATION lib/sysusers.d RENAME circuitwatch.conf)
install(FILES deploy/etc/circuitwatch.yaml
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/circuitwatch)
install(FILES deploy/examples/circuitwatch.yaml deploy/examples/demo.yaml
              deploy/examples/plans.yaml deploy/examples/expressroute-direct.yaml
              deploy/examples/directconnect.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
foreach(dir dashboards)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${dir})
    install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_DATADIR}/circuitwatch/${dir})
  endif()
endforeach()

set(CPACK_PACKAGE_NAME circuitwatch)
set(CPACK_PACKAGE_VENDOR "circuitwatch developers")
set(CPACK_PACKAGE_CONTACT "circuitwatch developers <maintainers@circuitwatch.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "private WAN circuit monitoring: BGP (BMP, capture), links, probes, billing")
set(CPACK_PACKAGE_DESCRIPTION
    "circuitwatch watches Azure ExpressRoute, AWS Direct Connect and Google Cloud\n Interconnect circuits from the customer side and publishes their health\n to Prometheus and Kafka.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
