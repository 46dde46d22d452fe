# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# How weft looks for a parallel HDF5; weft's CMakeLists.txt and the installed
# weftConfig.cmake share it. Macros, so that FindHDF5's results (HDF5::HDF5,
# HDF5_VERSION, HDF5_IS_PARALLEL, ...) land in the caller's scope.

# CMake's FindHDF5 try-compiles a C file for its C component, so C must be
# enabled first (weft itself compiles no C). Sets weft_hdf5_c_enabled.
macro(weft_hdf5_enable_c)
  get_property(_weft_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if(NOT "C" IN_LIST _weft_languages)
    include(CheckLanguage)
    check_language(C)
    if(CMAKE_C_COMPILER)
      enable_language(C)
    endif()
    get_property(_weft_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  endif()
  if("C" IN_LIST _weft_languages)
    set(weft_hdf5_c_enabled TRUE)
  else()
    set(weft_hdf5_c_enabled FALSE)
  endif()
  unset(_weft_languages)
endmacro()

# weft_find_parallel_hdf5([QUIET] [REQUIRED]): FindHDF5 with the parallel
# build preferred, then
#   weft_parallel_hdf5_found    TRUE if HDF5 was found and is parallel
#   weft_parallel_hdf5_problem  why not, otherwise
macro(weft_find_parallel_hdf5)
  set(weft_parallel_hdf5_found FALSE)
  set(weft_parallel_hdf5_problem "")
  weft_hdf5_enable_c()
  if(NOT weft_hdf5_c_enabled)
    set(weft_parallel_hdf5_problem "no C compiler, which CMake's FindHDF5 needs")
  else()
    set(HDF5_PREFER_PARALLEL ON)
    find_package(HDF5 ${ARGN} COMPONENTS C)
    if(NOT HDF5_FOUND OR NOT TARGET HDF5::HDF5)
      set(weft_parallel_hdf5_problem "HDF5 not found")
    elseif(NOT HDF5_IS_PARALLEL)
      set(weft_parallel_hdf5_problem "HDF5 ${HDF5_VERSION} found, but it is not a parallel (MPI) build")
    else()
      set(weft_parallel_hdf5_found TRUE)
    endif()
  endif()
endmacro()
