// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#pragma once
// weft's version, in one place: CMake reads these three lines.
#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0

#define WEFT_VERSION (WEFT_VERSION_MAJOR * 10000 + WEFT_VERSION_MINOR * 100 + WEFT_VERSION_PATCH)
