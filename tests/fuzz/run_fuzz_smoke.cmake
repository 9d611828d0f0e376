# Runs a libFuzzer binary for a bounded time on a fresh copy of its seed corpus.
# cmake -DFUZZER=bin -DSEEDS=dir -DWORK=dir -DDICT=file -DARTIFACTS=dir/ -P run_fuzz_smoke.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}" "${ARTIFACTS}")
file(COPY "${SEEDS}/" DESTINATION "${WORK}")
execute_process(
  COMMAND "${FUZZER}" "${WORK}" -dict=${DICT} -max_total_time=30 -timeout=5 -rss_limit_mb=2048
    -artifact_prefix=${ARTIFACTS} -print_final_stats=1
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); reproducers are in ${ARTIFACTS}")
endif()
