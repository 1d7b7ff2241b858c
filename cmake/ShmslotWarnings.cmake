# One place for warnings: every shmslot target calls shmslot_apply_warnings().
function(shmslot_apply_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wsign-conversion
                                           -Wno-sign-conversion)
  if(SHMSLOT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
