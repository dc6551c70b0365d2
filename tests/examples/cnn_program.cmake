# End-to-end check of an image program (sfnet, wu_boada, spin_cnn) on a tiny mock survey:
# summary, lr-find, train (1 epoch), train --resume to 2 epochs, evaluate, predict, bad input,
# --device cuda (trains where a GPU is visible, else fails clearly).
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

# lr-find: 12 batches across epochs (32 training galaxies, batch 8), a curve and suggestions, no model.
must(${PROGRAM} lr-find --data ${WORK}/data --batch-size 8 --iters 12 --out ${WORK}/lrf ${EXTRA})
if(NOT out MATCHES "lr-find: [0-9]+ batches.*(suggested learning rates: valley|too few batches)")
  message(FATAL_ERROR "lr-find printed no suggestions:\n${out}")
endif()
file(STRINGS ${WORK}/lrf/lr_find.csv rows)
list(LENGTH rows n)
list(GET rows 0 header)
if(n LESS 3 OR n GREATER 13 OR NOT header STREQUAL "iteration,lr,loss,smoothed_loss")
  message(FATAL_ERROR "lr_find.csv should have its header and up to 12 rows:\n${rows}")
endif()
if(EXISTS ${WORK}/lrf/model.safetensors)
  message(FATAL_ERROR "lr-find must not write a model")
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
# A GPU mode without --device cuda: non-zero exit, a message saying what to give, no model.
run(${PROGRAM} train --data ${WORK}/data --epochs 1 --out ${WORK}/bf16 --bf16 --no-progress)
if(NOT rc OR NOT err MATCHES "--bf16 is a GPU mode; give it with --device cuda" OR EXISTS ${WORK}/bf16/model.safetensors)
  message(FATAL_ERROR "--bf16 on the CPU must fail clearly (rc ${rc}): ${err}")
endif()
# --device cuda: where the build has no CUDA backend, or no GPU is visible, a non-zero exit and a
# message saying which, no model; where a GPU is there, a model.
run(${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 --out ${WORK}/gpu --device cuda --no-progress ${EXTRA})
if(rc EQUAL 0)
  expect_files(${WORK}/gpu model.safetensors)
  message(STATUS "${PROGRAM}: --device cuda trained on a GPU")
elseif(NOT err MATCHES "(has no CUDA backend|no CUDA device is visible)" OR EXISTS ${WORK}/gpu/model.safetensors)
  message(FATAL_ERROR "--device cuda without a GPU must fail clearly (rc ${rc}): ${err}")
endif()
message(STATUS "${PROGRAM}: summary, lr-find, train, resume, evaluate, predict and bad input all behave")
