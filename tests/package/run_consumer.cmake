# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# ctest driver: weft consumed the ways users consume it, in a fresh
# directory each time.
#   -DMODE=find_package     install weft into a fresh prefix; the probe project
#                           checks how find_package answers (components, versions,
#                           no MPI lookup unless asked); the consumer builds and runs
#   -DMODE=add_subdirectory the consumer adds the source tree; a project with its
#                           own (stand-in) Kokkos::kokkos adds it too
#   -DMODE=fetchcontent     a library vendors weft with FetchContent from a local git
#                           URL, exports its own targets, builds, runs and installs
#   -DMODE=launch_compiler  g++ as the project compiler, Kokkos' launcher sending the
#                           sources to nvcc_wrapper (needs a CUDA Kokkos)
#   -DWEFT_BUILD_DIR= -DWEFT_SOURCE_DIR= -DWORK_DIR= -DKokkos_DIR= -DCXX=
#   [-DMPIEXEC=... to also build and run the MPI consumer]
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

set(here "${CMAKE_CURRENT_LIST_DIR}")
if(MODE STREQUAL "fetchcontent")
  # A git repository of the working tree's package files (a clone of a
  # commit would miss uncommitted work), reached through a file:// URL.
  find_program(GIT git REQUIRED)
  set(repo "${WORK_DIR}/weft.git")
  file(MAKE_DIRECTORY "${repo}")
  file(COPY "${WEFT_SOURCE_DIR}/CMakeLists.txt" "${WEFT_SOURCE_DIR}/LICENSE" "${WEFT_SOURCE_DIR}/cmake"
            "${WEFT_SOURCE_DIR}/include" DESTINATION "${repo}")
  set(git "${GIT}" -C "${repo}" -c user.name=weft -c user.email=weft@localhost -c init.defaultBranch=main)
  run(${git} init -q)
  run(${git} add -A)
  run(${git} commit -q -m "weft for the FetchContent test")
  run("${CMAKE_COMMAND}" -S "${here}/vendor" -B "${build}" -DCMAKE_CXX_COMPILER=${CXX} -DKokkos_DIR=${Kokkos_DIR}
      -DWEFT_GIT_URL=file://${repo})
  run("${CMAKE_COMMAND}" --build "${build}")
  run("${build}/consumer")
  run("${CMAKE_COMMAND}" --install "${build}" --prefix "${prefix}")
  foreach(file include/weft/weft.hpp lib/cmake/weft/weftConfig.cmake lib/cmake/vendor/vendorTargets.cmake)
    if(NOT EXISTS "${prefix}/${file}")
      message(FATAL_ERROR "the vendoring library's install lacks ${file}")
    endif()
  endforeach()
  return()
endif()

if(MODE STREQUAL "launch_compiler")
  # Kokkos 4 redirects the compilations that depend on it to the compiler it
  # was built with (nvcc_wrapper) when the project's compiler is another one.
  run("${CMAKE_COMMAND}" -S "${here}/consumer" -B "${build}" -DCMAKE_CXX_COMPILER=${HOST_CXX}
      -DKokkos_DIR=${Kokkos_DIR} -DWEFT_CONSUMER_MODE=add_subdirectory -DWEFT_SOURCE_DIR=${WEFT_SOURCE_DIR})
  run("${CMAKE_COMMAND}" --build "${build}")
  return()
endif()

set(configure_args -S "${here}/consumer" -B "${build}"
    -DCMAKE_CXX_COMPILER=${CXX} -DKokkos_DIR=${Kokkos_DIR} -DWEFT_CONSUMER_MODE=${MODE})
if(MPIEXEC)
  list(APPEND configure_args -DWEFT_CONSUMER_DISTRIBUTED=ON)
endif()
if(HDF5)
  list(APPEND configure_args -DWEFT_CONSUMER_HDF5=ON)
endif()
if(MODE STREQUAL "find_package")
  run("${CMAKE_COMMAND}" --install "${WEFT_BUILD_DIR}" --prefix "${prefix}")
  set(probe_args -S "${here}/probe" -B "${WORK_DIR}/probe" -DCMAKE_CXX_COMPILER=${CXX} -DKokkos_DIR=${Kokkos_DIR}
      -DCMAKE_PREFIX_PATH=${prefix})
  if(MPIEXEC)
    list(APPEND probe_args -DWEFT_PROBE_DISTRIBUTED=ON)
  endif()
  run("${CMAKE_COMMAND}" ${probe_args})
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${prefix})
else()
  run("${CMAKE_COMMAND}" -S "${here}/in_tree_kokkos" -B "${WORK_DIR}/in_tree_kokkos" -DCMAKE_CXX_COMPILER=${CXX}
      -DWEFT_SOURCE_DIR=${WEFT_SOURCE_DIR})
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
