# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# ctest driver: install weft into a fresh prefix (or point at the source tree)
# and build and run the consumer project against it.
#   -DMODE=find_package|add_subdirectory -DWEFT_BUILD_DIR= -DWEFT_SOURCE_DIR=
#   -DWORK_DIR= -DKokkos_DIR= -DCXX= [-DMPIEXEC=... to also build and run the MPI consumer]
#   [-DHDF5=ON to also build and run the weft::hdf5 consumer]
set(prefix "${WORK_DIR}/prefix")
set(build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()

set(configure_args -S "${CMAKE_CURRENT_LIST_DIR}/consumer" -B "${build}"
    -DCMAKE_CXX_COMPILER=${CXX} -DKokkos_DIR=${Kokkos_DIR} -DWEFT_CONSUMER_MODE=${MODE})
if(MPIEXEC)
  list(APPEND configure_args -DWEFT_CONSUMER_DISTRIBUTED=ON)
endif()
if(HDF5)
  list(APPEND configure_args -DWEFT_CONSUMER_HDF5=ON)
endif()
if(MODE STREQUAL "find_package")
  run("${CMAKE_COMMAND}" --install "${WEFT_BUILD_DIR}" --prefix "${prefix}")
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${prefix})
else()
  list(APPEND configure_args -DWEFT_SOURCE_DIR=${WEFT_SOURCE_DIR})
endif()
run("${CMAKE_COMMAND}" ${configure_args})
run("${CMAKE_COMMAND}" --build "${build}")
run("${build}/consumer")
if(MPIEXEC)
  run("${MPIEXEC}" -n 2 "${build}/consumer_mpi")
endif()
if(HDF5)
  run("${MPIEXEC}" -n 2 "${build}/consumer_hdf5" "${build}/consumer.h5")
endif()
