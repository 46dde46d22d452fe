# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Runs one program in several configurations and fails unless every run
# prints the same checksums: how weft checks that reproducible results are
# bitwise the same at different thread and rank counts.
#
#   cmake -DPROGRAM=path [-DARGUMENTS=a,b] -DDIR=scratch -DTHREADS=1,2
#         [-DMPIEXEC=mpiexec -DRANKS=1,2,3,4] -P compare_checksums.cmake
#
# (Lists separated by commas: a semicolon would split the -D argument.)
#
# The checksums of a run are the lines of its output that contain
# "checksum", followed by the file $WEFT_TEST_CHECKSUMS, which the run may
# write (the test programs do).
foreach(required PROGRAM DIR THREADS)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "compare_checksums.cmake: -D${required}=... is required")
  endif()
endforeach()
if(NOT DEFINED RANKS)
  set(RANKS 0)  # no mpiexec
endif()
foreach(list ARGUMENTS THREADS RANKS)
  string(REPLACE "," ";" ${list} "${${list}}")
endforeach()
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")

set(reference "")
set(reference_name "")
foreach(ranks IN LISTS RANKS)
  foreach(threads IN LISTS THREADS)
    set(name "threads${threads}")
    set(launcher "")
    if(ranks GREATER 0)
      set(name "ranks${ranks}-${name}")
      set(launcher "${MPIEXEC}" -n ${ranks})
    endif()
    set(sums "${DIR}/${name}.txt")
    execute_process(
      COMMAND "${CMAKE_COMMAND}" -E env OMP_NUM_THREADS=${threads} "WEFT_TEST_CHECKSUMS=${sums}"
              ${launcher} "${PROGRAM}" ${ARGUMENTS}
      OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE status)
    file(WRITE "${DIR}/${name}.log" "${output}\n${errors}")
    if(NOT status EQUAL 0)
      message(FATAL_ERROR "${name}: ${PROGRAM} failed (${status}):\n${output}\n${errors}")
    endif()
    string(REGEX MATCHALL "[^\n]*checksum[^\n]*" printed "${output}")
    set(text "${printed}")
    if(EXISTS "${sums}")
      file(READ "${sums}" written)
      string(APPEND text "\n${written}")
    endif()
    if(text STREQUAL "")
      message(FATAL_ERROR "${name}: ${PROGRAM} printed no checksum")
    endif()
    if(reference_name STREQUAL "")
      set(reference "${text}")
      set(reference_name "${name}")
    elseif(NOT text STREQUAL reference)
      message(FATAL_ERROR "checksums differ between ${reference_name} and ${name}:\n"
                          "${reference_name}:\n${reference}\n${name}:\n${text}")
    endif()
    message(STATUS "${name}: the same checksums as ${reference_name}")
  endforeach()
endforeach()
string(LENGTH "${reference}" length)
message(STATUS "all runs agree (${length} characters of checksums)")
