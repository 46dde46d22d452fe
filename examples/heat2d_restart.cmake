# ctest driver for example.heat2d.restart: heat2d runs STEPS steps at 3 ranks,
# checkpointing halfway; a second run restarts from that checkpoint at 2 ranks
# and runs to STEPS. Both print a checksum of the final field's bits: they
# must be equal.
#   cmake -DMPIEXEC=mpiexec -DPROGRAM=heat2d -DDIR=<scratch> -DN=96 -DSTEPS=2000 -P heat2d_restart.cmake
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")
math(EXPR half "${STEPS} / 2")
string(LENGTH "${half}" digits)
math(EXPR pad "6 - ${digits}")
string(REPEAT "0" ${pad} zeros)
set(checkpoint "${DIR}/run3-checkpoint-${zeros}${half}.h5")

function(run ranks out_var)
  execute_process(COMMAND "${MPIEXEC}" -n ${ranks} "${PROGRAM}" ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "heat2d at ${ranks} ranks ${ARGN}:\n${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "heat2d at ${ranks} ranks failed (${rc}):\n${err}")
  endif()
  if(NOT out MATCHES "final field checksum ([0-9a-f]+)")
    message(FATAL_ERROR "heat2d printed no checksum")
  endif()
  set(${out_var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

run(3 uninterrupted ${N} ${STEPS} "${DIR}/run3" --checkpoint-every ${half})
if(NOT EXISTS "${checkpoint}")
  message(FATAL_ERROR "no checkpoint at step ${half}: ${checkpoint}")
endif()
run(2 restarted ${N} ${STEPS} "${DIR}/run2" --restart "${checkpoint}")
if(NOT uninterrupted STREQUAL restarted)
  message(FATAL_ERROR "the restarted run ends on another field: checksum ${restarted}, uninterrupted ${uninterrupted}")
endif()
message(STATUS "restarted at 2 ranks from step ${half} of a 3-rank run: final field bitwise equal (${restarted})")
