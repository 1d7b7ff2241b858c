#----------------------------------------------------------------
# Generated CMake target import file for configuration "Debug".
#----------------------------------------------------------------

# Commands may need to know the format version.
set(CMAKE_IMPORT_FILE_VERSION 1)

# Import target "shmslot::shmslot" for configuration "Debug"
set_property(TARGET shmslot::shmslot APPEND PROPERTY IMPORTED_CONFIGURATIONS DEBUG)
set_target_properties(shmslot::shmslot PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_DEBUG "CXX"
  IMPORTED_LOCATION_DEBUG "${_IMPORT_PREFIX}/lib/libshmslot.a"
  )

list(APPEND _cmake_import_check_targets shmslot::shmslot )
list(APPEND _cmake_import_check_files_for_shmslot::shmslot "${_IMPORT_PREFIX}/lib/libshmslot.a" )

# Commands beyond this point should not need to know the version.
set(CMAKE_IMPORT_FILE_VERSION)
