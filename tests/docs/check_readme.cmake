# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Fails unless every file in PROGRAMS stands, character for character, as a
# ```cpp block of README.
file(READ "${README}" readme)
foreach(program IN LISTS PROGRAMS)
  file(READ "${program}" code)
  string(FIND "${readme}" "```cpp\n${code}```" at)
  if(at EQUAL -1)
    get_filename_component(name "${program}" NAME)
    message(FATAL_ERROR "README.md has no ```cpp block equal to tests/docs/${name}: "
                        "update one from the other")
  endif()
endforeach()
message(STATUS "README.md's programs match tests/docs")
