# Installation beyond the binaries (systemd units, sysusers.d/tmpfiles.d entries, the example
# configuration, man pages, documentation) and the Debian package CPack builds from it.
#
#   cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DTIDAL_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr
#   cmake --build build-deb -j && (cd build-deb && cpack -G DEB)
#
# The unit files in systemd/ name /usr/sbin/tidald and /usr/sbin/tidal-sync; they are rewritten
# at install time for the prefix actually installed to (cmake --install --prefix, or CPack's).
include(GNUInstallDirs)

set(TIDAL_UNIT_DIR "lib/systemd/system" CACHE STRING
    "systemd unit directory, relative to the install prefix")
set(TIDAL_SYSUSERS_DIR "lib/sysusers.d" CACHE STRING
    "sysusers.d directory, relative to the install prefix")
set(TIDAL_TMPFILES_DIR "lib/tmpfiles.d" CACHE STRING
    "tmpfiles.d directory, relative to the install prefix")
# The daemons and the units read /etc/tidal/tidal.yaml whatever the prefix (INTERFACE.md).
set(TIDAL_CONFIG_DIR "/etc/tidal")
# Units the package enables and starts on installation.
set(TIDAL_DEB_ENABLED_UNITS "tidald.service tidal-sync.service")
set(TIDAL_DEB_OTHER_UNITS "tidal.target")

set(TIDAL_SYSTEMD_SOURCE_DIR "${PROJECT_SOURCE_DIR}/systemd")
set(TIDAL_PACKAGING_SOURCE_DIR "${PROJECT_SOURCE_DIR}/packaging")

# Units, naming the binaries where this installation puts them. Each install writes its own
# temporary copies, so concurrent installs from one build tree do not interfere.
install(CODE "
  set(tidal_sbindir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}\")
  string(RANDOM LENGTH 12 tidal_tag)
  set(tidal_tmp \"${CMAKE_CURRENT_BINARY_DIR}/tidal-units-\${tidal_tag}\")
  foreach(unit tidald.service tidal-sync.service tidal.target)
    file(READ \"${TIDAL_SYSTEMD_SOURCE_DIR}/\${unit}\" text)
    string(REPLACE \"=/usr/sbin/\" \"=\${tidal_sbindir}/\" text \"\${text}\")
    file(WRITE \"\${tidal_tmp}/\${unit}\" \"\${text}\")
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${TIDAL_UNIT_DIR}\" TYPE FILE
         FILES \"\${tidal_tmp}/\${unit}\"
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endforeach()
  file(REMOVE_RECURSE \"\${tidal_tmp}\")
")
install(FILES "${TIDAL_SYSTEMD_SOURCE_DIR}/tidal.sysusers" DESTINATION "${TIDAL_SYSUSERS_DIR}"
        RENAME tidal.conf)
install(FILES "${TIDAL_SYSTEMD_SOURCE_DIR}/tidal.tmpfiles" DESTINATION "${TIDAL_TMPFILES_DIR}"
        RENAME tidal.conf)

# /etc/tidal/tidal.yaml from the example, never over an operator's file (a package upgrade goes
# through dpkg's conffile handling instead).
install(CODE "
  set(tidal_config \"\$ENV{DESTDIR}${TIDAL_CONFIG_DIR}/tidal.yaml\")
  if(EXISTS \"\${tidal_config}\")
    message(STATUS \"Keeping existing: \${tidal_config}\")
  else()
    file(INSTALL DESTINATION \"${TIDAL_CONFIG_DIR}\" TYPE FILE
         FILES \"${TIDAL_PACKAGING_SOURCE_DIR}/tidal.yaml.example\" RENAME tidal.yaml
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
")

install(FILES "${TIDAL_PACKAGING_SOURCE_DIR}/man/tidald.8"
              "${TIDAL_PACKAGING_SOURCE_DIR}/man/tidal-sync.8"
        DESTINATION "${CMAKE_INSTALL_MANDIR}/man8")
install(FILES "${TIDAL_PACKAGING_SOURCE_DIR}/man/tidalctl.1"
        DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
install(FILES "${PROJECT_SOURCE_DIR}/README.md" "${PROJECT_SOURCE_DIR}/docs/deploy.md"
        "${PROJECT_SOURCE_DIR}/docs/consistency.md" "${PROJECT_SOURCE_DIR}/docs/editing.md"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(FILES "${TIDAL_PACKAGING_SOURCE_DIR}/tidal.yaml.example"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples" RENAME tidal.yaml)

# --- the Debian package ---------------------------------------------------------------------
# Maintainer scripts in the style dh_installsystemd writes: create the user and directories,
# enable and start the units of TIDAL_DEB_ENABLED_UNITS, stop them on removal. The sysusers.d and
# tmpfiles.d entries are named without a directory: found in those tools' search paths.
set(TIDAL_SYSUSERS_FILE "tidal.conf")
set(TIDAL_TMPFILES_FILE "tidal.conf")
foreach(script postinst prerm postrm)
  configure_file("${TIDAL_PACKAGING_SOURCE_DIR}/debian/${script}.in"
                 "${CMAKE_CURRENT_BINARY_DIR}/debian/${script}" @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                  WORLD_READ WORLD_EXECUTE)
endforeach()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "tidal")
set(CPACK_PACKAGE_VENDOR "Tidal")
set(CPACK_PACKAGE_CONTACT "Tidal maintainers <tidal@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "eventually consistent cluster of authoritative DNS servers")
set(CPACK_PACKAGE_DESCRIPTION
    "Tidal answers DNS queries over UDP and TCP from an in-memory snapshot of each host's SQLite\n\
zone copy. The package holds tidald (the server), tidal-sync (zone transfers), tidalctl (zone\n\
editing) and their systemd units.")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
# The binaries, units and /etc/tidal sit where the units and the daemons expect them: CPack
# installs with DESTDIR into its staging directory and the prefix the package uses.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/tidal")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# init-system-helpers: deb-systemd-helper and deb-systemd-invoke in the maintainer scripts;
# adduser only where systemd-sysusers is missing; procps: /bin/kill, which the units'
# ExecReload= runs (a minimal Debian, a container image for one, does not have it).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "init-system-helpers, procps, adduser | systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bind9-dnsutils | knot-dnsutils")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_BINARY_DIR}/debian/postinst"
    "${CMAKE_CURRENT_BINARY_DIR}/debian/prerm"
    "${CMAKE_CURRENT_BINARY_DIR}/debian/postrm"
    "${TIDAL_PACKAGING_SOURCE_DIR}/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
