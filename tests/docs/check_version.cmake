# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The version lives in include/weft/version.hpp (CMake's project version is
# read from it): CITATION.cff must carry the same, and CHANGELOG.md must
# have a section for it.
file(STRINGS "${CITATION}" lines REGEX "^version:")
if(NOT lines MATCHES "^version: \"?([0-9]+\\.[0-9]+\\.[0-9]+)\"?$")
  message(FATAL_ERROR "CITATION.cff has no 'version: X.Y.Z' line")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
  message(FATAL_ERROR "CITATION.cff says version ${CMAKE_MATCH_1}, include/weft/version.hpp ${VERSION}")
endif()
file(STRINGS "${CHANGELOG}" sections REGEX "^## ")
if(NOT sections MATCHES "(^|;)## ${VERSION}(;|$| )")
  message(FATAL_ERROR "CHANGELOG.md has no section '## ${VERSION}'")
endif()
message(STATUS "CITATION.cff and CHANGELOG.md agree with version.hpp: ${VERSION}")
