# Compiles SOURCE expecting failure, and the diagnostic to contain EXPECT.
execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only ${INCLUDES} ${SOURCE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must be rejected")
endif()
if(NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "${SOURCE} was rejected without the expected diagnostic '${EXPECT}':\n${err}")
endif()
message(STATUS "rejected as expected: ${EXPECT}")
