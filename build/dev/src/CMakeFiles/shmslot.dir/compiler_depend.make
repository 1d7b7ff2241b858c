# Empty compiler generated dependencies file for shmslot.
# This may be replaced when dependencies are built.
