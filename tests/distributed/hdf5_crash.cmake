# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# ctest driver for hdf5.crash: a checkpoint, then two runs killed while
# writing checkpoints, then checks at other rank counts that the first
# checkpoint is whole and nothing half-written went under a final name.
#   cmake -DMPIEXEC=mpiexec -DPROGRAM=weft_hdf5_crash -DDIR=<scratch> -P hdf5_crash.cmake
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")

function(run expect ranks mode)
  execute_process(COMMAND "${MPIEXEC}" -n ${ranks} "${PROGRAM}" "${DIR}" ${mode}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(expect STREQUAL "success" AND NOT rc EQUAL 0)
    message(FATAL_ERROR "'${mode}' at ${ranks} ranks failed (${rc}):\n${out}\n${err}")
  elseif(expect STREQUAL "killed" AND rc EQUAL 0)
    message(FATAL_ERROR "'${mode}' at ${ranks} ranks was meant to die but exited 0:\n${out}\n${err}")
  endif()
  message(STATUS "${mode} at ${ranks} ranks: exit ${rc}")
  if(out)
    message(STATUS "${out}")
  endif()
endfunction()

run(success 3 good)
run(killed 3 die)
run(killed 2 die-first)

# The killed writers died mid-way: their temporary files are there ...
file(GLOB left "${DIR}/ckpt.h5.tmp.*")
file(GLOB left_first "${DIR}/first.h5.tmp.*")
if(NOT left OR NOT left_first)
  message(FATAL_ERROR "expected the killed writers' temporary files in ${DIR}")
endif()
# ... and nothing under the final names but the first checkpoint.
if(EXISTS "${DIR}/first.h5")
  message(FATAL_ERROR "a checkpoint that never committed is visible as ${DIR}/first.h5")
endif()
run(success 2 verify)
run(success 1 verify)
run(success 4 verify)
