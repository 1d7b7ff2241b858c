# Empty compiler generated dependencies file for shmslot_core.
# This may be replaced when dependencies are built.
