# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# weft::hdf5's tests (included from CMakeLists.txt here when the component
# exists). Files go under the build tree, one directory per ctest entry, so
# that entries may run in parallel.
set(weft_hdf5_test_root "${CMAKE_CURRENT_BINARY_DIR}/hdf5-files")

# Round trips, restarts on other layouts, errors: at 1, 2, 3 and 4 ranks.
add_executable(weft_hdf5_tests test_hdf5.cpp test_hdf5_safety.cpp test_hdf5_fuzz.cpp ../support/mpi_main.cpp)
target_include_directories(weft_hdf5_tests PRIVATE ../support)
target_link_libraries(weft_hdf5_tests PRIVATE weft::hdf5 Catch2::Catch2 weft_dev_flags)
add_dependencies(weft_test_programs weft_hdf5_tests)
foreach(ranks 1 2 3 4)
  add_test(NAME hdf5.ranks${ranks}
    COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} ${MPIEXEC_PREFLAGS}
            $<TARGET_FILE:weft_hdf5_tests> ${MPIEXEC_POSTFLAGS})
  set_tests_properties(hdf5.ranks${ranks} PROPERTIES
    ENVIRONMENT "${weft_mpi_test_environment};WEFT_TEST_DIR=${weft_hdf5_test_root}/ranks${ranks}"
    TIMEOUT 900 PROCESSORS ${ranks})
endforeach()

# Open MPI has two MPI-IO components, OMPIO (its default) and ROMIO: the
# round trips, the safety checks and the fuzz cases under ROMIO too. (Other
# MPIs ignore the variable and run the same tests again.)
foreach(ranks 3 4)
  add_test(NAME hdf5.ranks${ranks}.romio
    COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} ${MPIEXEC_PREFLAGS}
            $<TARGET_FILE:weft_hdf5_tests> "[safety],[fuzz],[grid],[restart]" ${MPIEXEC_POSTFLAGS})
  set_tests_properties(hdf5.ranks${ranks}.romio PROPERTIES
    ENVIRONMENT "${weft_mpi_test_environment};OMPI_MCA_io=romio321;WEFT_TEST_DIR=${weft_hdf5_test_root}/romio${ranks}"
    TIMEOUT 900 PROCESSORS ${ranks})
endforeach()

# A run killed while writing a checkpoint leaves the previous one whole.
add_executable(weft_hdf5_crash hdf5_crash.cpp)
target_link_libraries(weft_hdf5_crash PRIVATE weft::hdf5 weft_dev_flags)
add_dependencies(weft_test_programs weft_hdf5_crash)
add_test(NAME hdf5.crash
  COMMAND "${CMAKE_COMMAND}" -DMPIEXEC=${MPIEXEC_EXECUTABLE} -DPROGRAM=$<TARGET_FILE:weft_hdf5_crash>
          -DDIR=${weft_hdf5_test_root}/crash -P "${CMAKE_CURRENT_SOURCE_DIR}/hdf5_crash.cmake")
set_tests_properties(hdf5.crash PROPERTIES ENVIRONMENT "${weft_mpi_test_environment}" TIMEOUT 600 PROCESSORS 3)

# Writes that fail (a file-size limit on one rank or all, a full disk):
# weft::error on every rank, no hang, the previous checkpoint whole.
add_executable(weft_hdf5_faults hdf5_faults.cpp)
target_link_libraries(weft_hdf5_faults PRIVATE weft::hdf5 weft_dev_flags)
add_dependencies(weft_test_programs weft_hdf5_faults)
add_test(NAME hdf5.faults
  COMMAND "${CMAKE_COMMAND}" -DMPIEXEC=${MPIEXEC_EXECUTABLE} -DPROGRAM=$<TARGET_FILE:weft_hdf5_faults>
          -DDIR=${weft_hdf5_test_root}/faults -DRANKS=3 -P "${CMAKE_CURRENT_SOURCE_DIR}/hdf5_faults.cmake")
set_tests_properties(hdf5.faults PROPERTIES ENVIRONMENT "${weft_mpi_test_environment}" TIMEOUT 600 PROCESSORS 3)

# Readable by other tools: h5py opens what weft wrote (at 3 ranks) and checks
# shapes, values, attributes and the XDMF sidecars. Needs a Python with h5py
# (Debian: python3-h5py); the first python3 on the PATH may lack it.
find_package(Python3 COMPONENTS Interpreter QUIET)
set(weft_h5py_python "")
foreach(candidate IN ITEMS "${Python3_EXECUTABLE}" /usr/bin/python3)
  if(candidate AND NOT weft_h5py_python)
    execute_process(COMMAND "${candidate}" -c "import h5py, numpy" RESULT_VARIABLE no_h5py OUTPUT_QUIET ERROR_QUIET)
    if(no_h5py EQUAL 0)
      set(weft_h5py_python "${candidate}")
    endif()
  endif()
endforeach()
if(weft_h5py_python)
  add_test(NAME hdf5.h5py.write
    COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 3 ${MPIEXEC_PREFLAGS}
            $<TARGET_FILE:weft_hdf5_tests> "[h5py]" ${MPIEXEC_POSTFLAGS})
  set_tests_properties(hdf5.h5py.write PROPERTIES
    ENVIRONMENT "${weft_mpi_test_environment};WEFT_TEST_DIR=${weft_hdf5_test_root}/h5py"
    TIMEOUT 300 PROCESSORS 3 FIXTURES_SETUP weft_h5py_files)
  add_test(NAME hdf5.h5py.check
    COMMAND "${weft_h5py_python}" "${CMAKE_CURRENT_SOURCE_DIR}/h5py_check.py" "${weft_hdf5_test_root}/h5py")
  set_tests_properties(hdf5.h5py.check PROPERTIES FIXTURES_REQUIRED weft_h5py_files TIMEOUT 120)
else()
  message(STATUS "weft: no Python with h5py (Debian: python3-h5py); the h5py check is not registered")
endif()
