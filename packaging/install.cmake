# What `cmake --install` puts where (component `sluice`, the only one): the binary, the systemd
# unit, the example configuration, the Grafana dashboard and alert rules, README and copyright.
# Every rule names COMPONENT sluice: the .deb (packaging/deb.cmake) packs that component only.
# Files other branches add (systemd/, config/sluice.yaml, grafana/) are installed when they exist;
# they are looked for with CONFIGURE_DEPENDS globs, so one that appears later is picked up by the
# next build without a manual re-configure.
include(GNUInstallDirs)

# The unit and the docs say /etc/sluice/sluice.yaml whatever the prefix, so the configuration
# goes there (under DESTDIR when staging); override for a private install.
set(SLUICE_CONFIG_DIR "/etc/sluice" CACHE PATH "Where the example sluice.yaml is installed")
# systemd reads units from <prefix>/lib/systemd/system for /usr and /usr/local alike; not
# CMAKE_INSTALL_LIBDIR, which is lib/x86_64-linux-gnu on Debian.
set(SLUICE_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE PATH "Where sluice.service is installed")

install(TARGETS sluice RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT sluice)

file(GLOB SLUICE_UNIT CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/systemd/sluice.service)
if(SLUICE_UNIT)
  install(FILES ${SLUICE_UNIT} DESTINATION ${SLUICE_SYSTEMD_UNIT_DIR} COMPONENT sluice)
endif()

# The service's configuration when its branch has landed, else the demo (which validates too).
file(GLOB SLUICE_EXAMPLE_CONFIG CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/config/sluice.yaml)
if(NOT SLUICE_EXAMPLE_CONFIG)
  set(SLUICE_EXAMPLE_CONFIG ${CMAKE_SOURCE_DIR}/config/demo.yaml)
endif()
install(FILES ${SLUICE_EXAMPLE_CONFIG} DESTINATION ${SLUICE_CONFIG_DIR} RENAME sluice.yaml
        COMPONENT sluice)

# The dashboard, its provisioning files and alerts.yaml, as the tree holds them.
file(GLOB_RECURSE SLUICE_GRAFANA_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/grafana/*)
if(SLUICE_GRAFANA_FILES)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/grafana DESTINATION ${CMAKE_INSTALL_DATADIR}/sluice
          COMPONENT sluice)
endif()

install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/packaging/deb/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT sluice)
