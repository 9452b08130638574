# Install rules (cmake --install) and the Debian package (cpack -G DEB).
#
#   bin/wayhome
#   share/wayhome/{schemas/, rules.json, dashboard.html, prometheus/, grafana/}
#   share/doc/wayhome/{OPERATIONS.md, README.md, examples/}
#   etc/wayhome/wayhome.jsonc          (/etc/wayhome for the /usr prefix)
#   lib/systemd/system/wayhome.service (ExecStart from the prefix installed to)
#
# The binary finds share/wayhome beside itself (services/runtime/src/data_dir.cpp), so
# an install under any prefix, a DESTDIR staging tree or a moved copy all work.

install(TARGETS wayhome RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(WAYHOME_SHARE ${CMAKE_INSTALL_DATADIR}/wayhome)
install(DIRECTORY schemas/events/ DESTINATION ${WAYHOME_SHARE}/schemas
        FILES_MATCHING PATTERN "*.json")
install(FILES deploy/config/rules.json services/ops/dashboard.html DESTINATION ${WAYHOME_SHARE})
install(FILES deploy/prometheus/alerts.yml DESTINATION ${WAYHOME_SHARE}/prometheus)
install(FILES deploy/grafana/wayhome.json DESTINATION ${WAYHOME_SHARE}/grafana)
install(FILES docs/OPERATIONS.md README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES deploy/config/embedded.jsonc deploy/config/kafka.jsonc
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The configuration and the unit depend on the prefix installed to, which may differ
# from the one configured (cmake --install --prefix, CPack's /usr): decide at install
# time. As GNUInstallDirs does, the /usr prefix puts configuration in /etc.
install(CODE "
  set(_prefix \"\${CMAKE_INSTALL_PREFIX}\")
  if(_prefix STREQUAL \"/usr\")
    set(WAYHOME_ETCDIR \"/etc/wayhome\")
  else()
    set(WAYHOME_ETCDIR \"\${_prefix}/${CMAKE_INSTALL_SYSCONFDIR}/wayhome\")
  endif()
  set(WAYHOME_BINDIR \"\${_prefix}/${CMAKE_INSTALL_BINDIR}\")
  set(WAYHOME_DOCDIR \"\${_prefix}/${CMAKE_INSTALL_DOCDIR}\")
  # One generated unit per prefix: installs to two prefixes may run at once.
  set(_unit \"${PROJECT_BINARY_DIR}/install\${_prefix}/wayhome.service\")
  configure_file(\"${PROJECT_SOURCE_DIR}/deploy/systemd/wayhome.service.in\" \"\${_unit}\" @ONLY)
  file(INSTALL DESTINATION \"\${_prefix}/lib/systemd/system\" TYPE FILE FILES \"\${_unit}\")
  file(INSTALL DESTINATION \"\${WAYHOME_ETCDIR}\" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
       FILES \"${PROJECT_SOURCE_DIR}/deploy/debian/wayhome.jsonc\")
")

# The Debian package. Build it with `cpack --config build/CPackConfig.cmake -G DEB -B
# build/package`; tests/deploy installs and purges it.
set(CPACK_PACKAGE_NAME wayhome)
set(CPACK_PACKAGE_VENDOR "The Way Home")
set(CPACK_PACKAGE_CONTACT "wayhome maintainers <wayhome@kommune.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "integration middleware for social-housing case events on Kafka")
set(CPACK_PACKAGE_DESCRIPTION
    "wayhome puts the case events of GERICA/LMP, Plania and the start-up loan system
on a Kafka bus as CloudEvents checked against JSON Schemas, routes them into
cross-sector referrals and meeting notices, and serves an ops API and dashboard.
It runs as the systemd service wayhome.service.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
# Install into a staging DESTDIR with the real prefix /usr (whatever the build tree
# was configured with), so that the install code puts the config in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, kcat")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
include(CPack)
