# End-to-end check of an image program (sfnet, wu_boada, spin_cnn) on a tiny mock survey:
# summary, train (1 epoch), train --resume to 2 epochs, evaluate, predict, and a bad input.
# -DPROGRAM=path -DMOCK=path/to/mock_survey -DLAYOUT=sfnet -DWORK=dir -DPARAMS=11,177,025 [-DEXTRA=...]
include(${CMAKE_CURRENT_LIST_DIR}/process.cmake)
function(expect_files dir)
  foreach(f ${ARGN})
    if(NOT EXISTS ${dir}/${f})
      message(FATAL_ERROR "${dir}/${f} was not written")
    endif()
  endforeach()
endfunction()

file(REMOVE_RECURSE ${WORK})
separate_arguments(EXTRA)
must(${MOCK} --layout ${LAYOUT} --n 40 --seed 5 --out ${WORK}/data)

must(${PROGRAM} summary)
if(NOT out MATCHES "Trainable params: ${PARAMS}")
  message(FATAL_ERROR "summary does not end with 'Trainable params: ${PARAMS}':\n${out}")
endif()

must(${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 --out ${WORK}/run --no-progress ${EXTRA})
expect_files(${WORK}/run model.safetensors checkpoint.safetensors history.csv metrics.json predictions.csv)
file(READ ${WORK}/run/metrics.json metrics)
if(NOT metrics MATCHES "\"rmse\"" OR NOT metrics MATCHES "\"spearman\"")
  message(FATAL_ERROR "metrics.json lacks the expected fields: ${metrics}")
endif()

must(${PROGRAM} train --data ${WORK}/data --epochs 2 --batch-size 8 --out ${WORK}/run --resume --no-progress ${EXTRA})
file(STRINGS ${WORK}/run/history.csv rows)
list(LENGTH rows n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "after --resume to 2 epochs history.csv should have a header and 2 rows:\n${rows}")
endif()

must(${PROGRAM} evaluate --weights ${WORK}/run/model.safetensors --data ${WORK}/data --out ${WORK}/eval)
expect_files(${WORK}/eval metrics.json predictions.csv)
file(STRINGS ${WORK}/eval/predictions.csv pred)
list(LENGTH pred n)
if(NOT n EQUAL 41)
  message(FATAL_ERROR "evaluate should predict all 40 galaxies; predictions.csv has ${n} lines")
endif()
list(GET pred 0 header)
if(NOT header MATCHES "^objID,.*_true,.*_pred")
  message(FATAL_ERROR "predictions.csv header is '${header}'")
endif()

must(${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data --out ${WORK}/pred)
expect_files(${WORK}/pred predictions.csv)

# Bad input: an image folder that does not exist. Non-zero exit, a message naming it, no model.
run(${PROGRAM} train --data ${WORK}/data --images ${WORK}/no-such-folder --epochs 1 --out ${WORK}/bad --no-progress)
if(NOT rc OR NOT err MATCHES "no-such-folder" OR EXISTS ${WORK}/bad/model.safetensors)
  message(FATAL_ERROR "a missing image folder must fail clearly (rc ${rc}): ${err}")
endif()
message(STATUS "${PROGRAM}: summary, train, resume, evaluate, predict and a bad input all behave")
