
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/backend/engine_backend.cpp" "src/CMakeFiles/shmslot.dir/backend/engine_backend.cpp.o" "gcc" "src/CMakeFiles/shmslot.dir/backend/engine_backend.cpp.o.d"
  "/work/main/src/backend/in_memory_slot_allocator.cpp" "src/CMakeFiles/shmslot.dir/backend/in_memory_slot_allocator.cpp.o" "gcc" "src/CMakeFiles/shmslot.dir/backend/in_memory_slot_allocator.cpp.o.d"
  "/work/main/src/backend/locator.cpp" "src/CMakeFiles/shmslot.dir/backend/locator.cpp.o" "gcc" "src/CMakeFiles/shmslot.dir/backend/locator.cpp.o.d"
  "/work/main/src/backend/posix_slot_allocator.cpp" "src/CMakeFiles/shmslot.dir/backend/posix_slot_allocator.cpp.o" "gcc" "src/CMakeFiles/shmslot.dir/backend/posix_slot_allocator.cpp.o.d"
  "/work/main/src/backend/slot_backend.cpp" "src/CMakeFiles/shmslot.dir/backend/slot_backend.cpp.o" "gcc" "src/CMakeFiles/shmslot.dir/backend/slot_backend.cpp.o.d"
  "/work/main/src/backend/slot_error.cpp" "src/CMakeFiles/shmslot.dir/backend/slot_error.cpp.o" "gcc" "src/CMakeFiles/shmslot.dir/backend/slot_error.cpp.o.d"
  "/work/main/src/backend/slot_header.cpp" "src/CMakeFiles/shmslot.dir/backend/slot_header.cpp.o" "gcc" "src/CMakeFiles/shmslot.dir/backend/slot_header.cpp.o.d"
  "/work/main/src/backend/type_hash.cpp" "src/CMakeFiles/shmslot.dir/backend/type_hash.cpp.o" "gcc" "src/CMakeFiles/shmslot.dir/backend/type_hash.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
