# Compiles one compile-fail case and checks that it fails, with its `// expect:` text on one line of
# the compiler's output; `// expect-success:` cases must compile.
# cmake -DCXX=... -DINCLUDE=... -DSOURCE=... [-DTEXT=OFF] -P check.cmake
# TEXT=OFF (clang 14): the failure must be cnngen's invalid_model assertion, whose reason clang 14
# prints as a list of character codes, not as text; the text itself is not checked.
file(STRINGS "${SOURCE}" first LIMIT_COUNT 1)
execute_process(COMMAND "${CXX}" -std=c++20 -fsyntax-only "-I${INCLUDE}" "${SOURCE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(first MATCHES "^// expect-success:")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} should compile:\n${err}")
  endif()
  return()
endif()
string(REGEX REPLACE "^// expect: " "" expected "${first}")
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but should fail with: ${expected}")
endif()
if(DEFINED TEXT AND NOT TEXT)
  string(FIND "${err}" "invalid_model<" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${SOURCE}: failed, but not with cnngen's model error:\n${err}")
  endif()
  message(STATUS "${SOURCE}: a model error, as expected")
  return()
endif()
string(FIND "${err}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${SOURCE}: the error does not say: ${expected}\n--- compiler output:\n${err}")
endif()
# The message must be on the first line of the diagnostic that names the model error.
string(REGEX MATCH "[^\n]*invalid_model<[^\n]*" line "${err}")
string(FIND "${line}" "${expected}" on_line)
if(on_line EQUAL -1)
  message(FATAL_ERROR "${SOURCE}: the message is not on the invalid_model line: ${line}")
endif()
message(STATUS "${SOURCE}: ${expected}")
