# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# ctest driver for hdf5.faults: writes that fail must end in weft::error on
# every rank, never a hang, with the previous checkpoint whole.
#   cmake -DMPIEXEC=mpiexec -DPROGRAM=weft_hdf5_faults -DDIR=<scratch> -DRANKS=3 -P hdf5_faults.cmake
# Failures injected with RLIMIT_FSIZE run everywhere; a really full disk (a
# 1 MiB tmpfs) where this process may mount one (root, and a kernel that
# lets it), and is skipped with a note otherwise.
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}/file-size" "${DIR}/full-disk")

function(run mode where)
  execute_process(COMMAND "${MPIEXEC}" -n ${RANKS} "${PROGRAM}" "${where}" ${mode}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 240)
  message(STATUS "${mode} at ${RANKS} ranks: exit ${rc}\n${out}")
  if(NOT rc EQUAL 0)
    set(failed "${mode} at ${RANKS} ranks failed (${rc}):\n${err}" PARENT_SCOPE)
  endif()
endfunction()

set(failed "")
run(file-size "${DIR}/file-size")

find_program(MOUNT mount)
find_program(UMOUNT umount)
set(mounted 1)
if(MOUNT AND UMOUNT)
  execute_process(COMMAND "${MOUNT}" -t tmpfs -o size=1m weft-full-disk "${DIR}/full-disk"
                  RESULT_VARIABLE mounted OUTPUT_QUIET ERROR_VARIABLE why)
endif()
if(mounted EQUAL 0)
  run(full-disk "${DIR}/full-disk")
  execute_process(COMMAND "${UMOUNT}" "${DIR}/full-disk")
else()
  message(STATUS "full-disk: skipped, no 1 MiB tmpfs could be mounted here (${why})")
endif()
if(failed)
  message(FATAL_ERROR "${failed}")
endif()
