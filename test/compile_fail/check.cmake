# Runs the C++ compiler on one file, for CTest. Used by the compile-fail cases and the
# self-contained-header checks: neither needs a build system, so they run in parallel.
#
#   cmake -DCOMPILER=<c++> -DARGS_FILE=<file: one compiler argument per line>
#         -DSOURCE=<file.cpp> -DMODE=<fail|pass> [-DDEFINE=<macro>] -P check.cmake
#
# MODE fail: passes only when the compiler fails AND its output contains the text after
#            "// expect: " in SOURCE (the case's static_assert message, matched literally),
#            and no static assertion without a "mio:" message.
# MODE pass: passes only when the compiler succeeds (the control build of a case, or a header).
cmake_minimum_required(VERSION 3.21)

foreach(var COMPILER ARGS_FILE SOURCE MODE)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "check.cmake: -D${var}=... is required")
    endif()
endforeach()

file(STRINGS "${ARGS_FILE}" args)
set(extra)
if(DEFINED DEFINE)
    list(APPEND extra "-D${DEFINE}")
endif()

execute_process(
    COMMAND "${COMPILER}" ${args} ${extra} -fsyntax-only "${SOURCE}"
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE out)

if(MODE STREQUAL "pass")
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "expected ${SOURCE} to compile, but the compiler said:\n${out}")
    endif()
    message(STATUS "compiles: ${SOURCE}")
    return()
endif()

# Read as one string, not with file(STRINGS): list handling would mangle the ';' in messages.
file(READ "${SOURCE}" text)
string(REGEX MATCHALL "// expect: " expect_lines "${text}")
list(LENGTH expect_lines n)
if(NOT n EQUAL 1)
    message(FATAL_ERROR "${SOURCE} must have exactly one '// expect: <message>' line")
endif()
string(REGEX MATCH "// expect: ([^\n]*)" unused "${text}")
set(expect "${CMAKE_MATCH_1}")

if(rc EQUAL 0)
    message(FATAL_ERROR "expected ${SOURCE} NOT to compile, but it compiled")
endif()
string(FIND "${out}" "${expect}" at)
if(at EQUAL -1)
    message(FATAL_ERROR "${SOURCE} failed to compile, but without the expected message\n  ${expect}\n"
                        "The compiler said:\n${out}")
endif()
# One named message, not followed by a bare "static assertion failed" from the use site.
# (';' would split the list items: messages contain it.)
string(REPLACE ";" "," out_lines "${out}")
string(REGEX MATCHALL "[^\n]*static(_assert| assertion) failed[^\n]*" asserts "${out_lines}")
foreach(line IN LISTS asserts)
    string(FIND "${line}" "mio:" named)
    if(named EQUAL -1)
        message(FATAL_ERROR "${SOURCE}: a static assertion without a \"mio:\" message follows the named one:\n${line}\n"
                            "The compiler said:\n${out}")
    endif()
endforeach()
message(STATUS "fails as expected with: ${expect}")
