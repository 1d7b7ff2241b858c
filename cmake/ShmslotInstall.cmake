# install + export + CMake package config + pkg-config, for the top-level build only.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS shmslot EXPORT shmslotTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# bridge.hpp belongs to shmslot_bridge (src/bridge), which is built in the tree for the tool and
# its tests but not installed: the installed package must not need Cyclone DDS.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/shmslot DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        PATTERN "bridge.hpp" EXCLUDE)
install(EXPORT shmslotTargets NAMESPACE shmslot:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/shmslot)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/shmslotConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/shmslotConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/shmslot)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/shmslotConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/shmslotConfig.cmake ${PROJECT_BINARY_DIR}/shmslotConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/shmslot)

# The .pc file finds its prefix relative to itself, so `cmake --install --prefix X` (any X) works.
file(RELATIVE_PATH SHMSLOT_PC_RELATIVE_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" SHMSLOT_PC_RELATIVE_PREFIX "${SHMSLOT_PC_RELATIVE_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/shmslot.pc.in ${PROJECT_BINARY_DIR}/shmslot.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/shmslot.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The C library (libshmslot_c.so, include/shmslot/shmslot.h, installed with the directory above) and
# the Python module join the install, and so the package, once their targets are defined.
if(TARGET shmslot_c)
  install(TARGETS shmslot_c EXPORT shmslotTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
# Debian's layout: one directory for every Python 3 version, extension modules told apart by their
# ABI-tagged file names (shmslot/_shmslot.cpython-311-x86_64-linux-gnu.so).
set(SHMSLOT_PYTHON_INSTALL_DIR lib/python3/dist-packages CACHE STRING
    "Where the Python module is installed, relative to the prefix")
if(TARGET shmslot_python)
  install(TARGETS shmslot_python LIBRARY DESTINATION ${SHMSLOT_PYTHON_INSTALL_DIR}/shmslot)
  install(FILES ${SHMSLOT_PYTHON_FILES} DESTINATION ${SHMSLOT_PYTHON_INSTALL_DIR}/shmslot)
endif()
