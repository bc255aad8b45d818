# The Debian package: `cpack -G DEB` in the build directory (after the `sluice` target is built)
# writes sluice_VERSION-REVISION_amd64.deb from the install rules of packaging/install.cmake.
# cpack runs the install rules only; it builds nothing, so packaging costs seconds, not a
# rebuild of every test binary (which `ninja package` would do: it depends on `all`).

# The Debian revision of this packaging; its changelog entry must name the same version.
set(SLUICE_DEB_REVISION 1)
set(SLUICE_DEB_MAINTAINER "sluice maintainers <sluice-maintainers@example.org>"
    CACHE STRING "Maintainer field of the .deb (name <address>)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sluice)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL sluice)
set(CPACK_STRIP_FILES ON)  # lintian: unstripped-binary-or-object
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # sluice_0.1.0-1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SLUICE_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SLUICE_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps turns the libraries the binary links (librdkafka, RE2, yaml-cpp, simdjson,
# prometheus-cpp, libsystemd, ...) into Depends with the versions they need.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The first line is the synopsis; CPack indents the rest as the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "log and event pipeline daemon
sluice moves CSV, text and JSON events from files, stdin and Kafka through
parse, filter and route stages into files, stdout and Kafka, with bounded
memory, backpressure and counted drops. It ships a systemd unit, an example
configuration in /etc/sluice, Prometheus metrics with a Grafana dashboard and
alert rules, and `sluice top`, a live terminal view of a running daemon.")

# /etc/sluice/sluice.yaml is the operator's file: dpkg keeps their edits across upgrades.
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "${SLUICE_CONFIG_DIR}/sluice.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Debian policy 12.7: the packaging changelog, compressed with gzip -9n (no name, no time stamp,
# so the package is reproducible).
set(SLUICE_DEB_CHANGELOG ${CMAKE_SOURCE_DIR}/packaging/deb/changelog)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${SLUICE_DEB_CHANGELOG})
file(STRINGS ${SLUICE_DEB_CHANGELOG} changelog_head LIMIT_COUNT 1)
if(NOT changelog_head MATCHES "^sluice \\(${PROJECT_VERSION}-${SLUICE_DEB_REVISION}\\) ")
  message(FATAL_ERROR "packaging/deb/changelog must start with an entry for "
                      "${PROJECT_VERSION}-${SLUICE_DEB_REVISION}; it starts: ${changelog_head}")
endif()
execute_process(COMMAND gzip -9n -c ${SLUICE_DEB_CHANGELOG}
                OUTPUT_FILE ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz
                RESULT_VARIABLE gzip_result)
if(NOT gzip_result EQUAL 0)
  message(FATAL_ERROR "gzip of packaging/deb/changelog failed: ${gzip_result}")
endif()
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT sluice)

include(CPack)
