# Empty compiler generated dependencies file for shmslot_platform.
# This may be replaced when dependencies are built.
