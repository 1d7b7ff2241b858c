file(REMOVE_RECURSE
  "libshmslot.a"
)
