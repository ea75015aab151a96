# Runs a command and checks its exit code and that its output (stdout and stderr) matches a regex.
# cmake -DCOMMAND="prog;arg;..." -DEXIT=0|nonzero -DMATCH=regex [-DWORKDIR=dir] -P expect.cmake
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                WORKING_DIRECTORY "${WORKDIR}" TIMEOUT 600)
set(all "${out}${err}")
if(EXIT STREQUAL "nonzero")
  if(rc EQUAL 0 OR NOT rc MATCHES "^[0-9]+$")
    message(FATAL_ERROR "expected a clean non-zero exit, got '${rc}':\n${all}")
  endif()
elseif(NOT rc STREQUAL "${EXIT}")
  message(FATAL_ERROR "expected exit ${EXIT}, got '${rc}':\n${all}")
endif()
if(NOT all MATCHES "${MATCH}")
  message(FATAL_ERROR "output does not match '${MATCH}':\n${all}")
endif()
message(STATUS "${all}")
