// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft's checkpoint and restart API (component weft::hdf5): everything in
// <weft/distributed.hpp>, plus distributed vectors and grids saved to and
// loaded from parallel HDF5 files. Includes <hdf5.h> and <mpi.h>; link
// weft::hdf5 (find_package(weft COMPONENTS distributed hdf5)).
//
//   weft::hdf5_file, attributes      hdf5/file.hpp
//   weft::save, weft::load           hdf5/io.hpp
//   weft::checkpoint_writer          hdf5/checkpoint.hpp
//   weft::hdf5_members (structs)     hdf5/types.hpp

#include "detail/config.hpp"  // first: the C++20 check

#include "distributed.hpp"

#include "hdf5/checkpoint.hpp"
#include "hdf5/file.hpp"
#include "hdf5/io.hpp"
#include "hdf5/types.hpp"
