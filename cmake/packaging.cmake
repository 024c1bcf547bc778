# The Debian package: `cmake --build --preset release --target package` makes
# parley_<version>_amd64.deb with parleyd, the built web client (web/dist; build it first
# with `npm run build` in web/), the systemd unit and a default /etc/parley/parley.toml.
# The binary is stripped; Depends: comes from dpkg-shlibdeps (the shared libraries parleyd
# links) plus adduser for the service account; ffmpeg (its ffprobe and ffmpeg tools check
# and remux videos, run as separate processes) is recommended: without it parleyd runs and
# refuses video uploads (unsupported_media), logging so once at start-up.

install(TARGETS parleyd RUNTIME DESTINATION bin)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/dist/ DESTINATION share/parley/web)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/parley.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/parley.toml DESTINATION /etc/parley)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/protocol.md
              ${PROJECT_SOURCE_DIR}/docs/security.md DESTINATION share/doc/parley)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/prometheus ${PROJECT_SOURCE_DIR}/deploy/grafana
        DESTINATION share/doc/parley/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME parley)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Parley maintainers <maintainers@parley.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Parley messaging server with its web client")
set(CPACK_PACKAGE_DESCRIPTION
    "parleyd serves 1:1 and group chats over WebSocket and HTTP, stores them in an embedded\n SQLite database, and serves the installable web client.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ffmpeg")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
