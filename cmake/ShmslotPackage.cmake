# `make package`: one Debian package, shmslot_<version>_<arch>.deb, built by CPack from whatever the
# install rules (ShmslotInstall.cmake, tools/) put under the prefix. The package preset
# (CMakePresets.json) is a release build with BUILD_SHARED_LIBS and the prefix /usr, so the library
# lands in Debian's multiarch directory (/usr/lib/x86_64-linux-gnu) with its SONAME.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME shmslot)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# Debian wraps the long description itself only badly: lines under 80 columns, written here.
set(CPACK_PACKAGE_DESCRIPTION "A writer reserves a fixed-size slot in a shared segment, fills it in place
and commits it; up to 32 readers read it where it lies. Segments are
byte-compatible with ZeroDDS's PosixSlotAllocator.
.
This package holds the shared library, the C++ headers, the CMake package
(find_package(shmslot)), the pkg-config file and the shmslot command-line tool.")
set(SHMSLOT_PACKAGE_MAINTAINER "shmslot developers <dev@shmslot.invalid>" CACHE STRING
    "Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${SHMSLOT_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SHMSLOT_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)

# Run-time dependencies are computed from the ELF files (dpkg-shlibdeps); what the headers and the
# CMake package need after an install is declared: find_dependency(tl-expected) and every public
# header include <tl/expected.hpp>.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libexpected-dev")
# The tool links libshmslot.so from this same package.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${CMAKE_BINARY_DIR}/src")
# The Python module (lib/python3/dist-packages/shmslot) is built for one interpreter version and
# imports numpy: it is part of the package, but Python is not needed for the rest of it, so both
# are recommended rather than required.
if(TARGET shmslot_python)
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3 (>= ${SHMSLOT_PYTHON_VERSION}~), python3 (<< ${SHMSLOT_PYTHON_NEXT_VERSION}), python3-numpy")
  string(APPEND CPACK_PACKAGE_DESCRIPTION "
.
It also holds the Python 3 module shmslot (import shmslot), with numpy views
onto slots.")
endif()
# A shlibs file, so packages built against this one depend on it, and ldconfig on install/remove.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

set(CPACK_STRIP_FILES ON)
# Directories 0755 whatever the umask of the machine that builds the package.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}")

include(CPack)

# What this build puts into the package, for tests/package/deb.sh to require: the C++ library,
# headers, CMake and pkg-config files and the tool always; the C library and the Python module when
# their targets exist.
set(SHMSLOT_PACKAGE_PARTS cxx)
if(TARGET shmslot_cli)
  list(APPEND SHMSLOT_PACKAGE_PARTS cli)
endif()
if(TARGET shmslot_c)
  list(APPEND SHMSLOT_PACKAGE_PARTS c)
endif()
if(TARGET shmslot_python)
  list(APPEND SHMSLOT_PACKAGE_PARTS python)
endif()
list(JOIN SHMSLOT_PACKAGE_PARTS "\n" SHMSLOT_PACKAGE_PARTS)
file(WRITE ${PROJECT_BINARY_DIR}/package-parts.txt "${SHMSLOT_PACKAGE_PARTS}\n")
