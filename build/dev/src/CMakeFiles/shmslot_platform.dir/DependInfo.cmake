
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/platform/flink_file.cpp" "src/CMakeFiles/shmslot_platform.dir/platform/flink_file.cpp.o" "gcc" "src/CMakeFiles/shmslot_platform.dir/platform/flink_file.cpp.o.d"
  "/work/main/src/platform/futex.cpp" "src/CMakeFiles/shmslot_platform.dir/platform/futex.cpp.o" "gcc" "src/CMakeFiles/shmslot_platform.dir/platform/futex.cpp.o.d"
  "/work/main/src/platform/mapping.cpp" "src/CMakeFiles/shmslot_platform.dir/platform/mapping.cpp.o" "gcc" "src/CMakeFiles/shmslot_platform.dir/platform/mapping.cpp.o.d"
  "/work/main/src/platform/process.cpp" "src/CMakeFiles/shmslot_platform.dir/platform/process.cpp.o" "gcc" "src/CMakeFiles/shmslot_platform.dir/platform/process.cpp.o.d"
  "/work/main/src/platform/shm.cpp" "src/CMakeFiles/shmslot_platform.dir/platform/shm.cpp.o" "gcc" "src/CMakeFiles/shmslot_platform.dir/platform/shm.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
