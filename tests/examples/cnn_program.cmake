# End-to-end check of an image program (sfnet, wu_boada, spin_cnn) on a tiny mock survey:
# summary, lr-find, train (1 epoch), train --resume to 2 epochs, evaluate, predict, bad input,
# --device cuda (trains where a GPU is visible, else fails clearly).
# Then what protects a user's runs: option ranges, a resume that must match, outputs never replaced
# by accident. -DPROGRAM=path -DMOCK=path/to/mock_survey -DLAYOUT=sfnet -DWORK=dir
# -DPARAMS=11,177,025 [-DEXTRA=...] [-DGROWS=1: --resume may add epochs (not under one-cycle)]
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
# Old and new cutouts never mix: a second survey into the folder needs --overwrite, which removes
# only a survey's own files.
run(${MOCK} --layout ${LAYOUT} --n 40 --seed 5 --out ${WORK}/data)
if(NOT rc OR NOT err MATCHES "is not empty.*--overwrite")
  message(FATAL_ERROR "mock_survey into an earlier survey must be refused (rc ${rc}): ${err}")
endif()
file(WRITE ${WORK}/data/notes.txt "a user's file")
run(${MOCK} --layout ${LAYOUT} --n 40 --seed 5 --out ${WORK}/data --overwrite)
if(NOT rc OR NOT err MATCHES "holds 'notes.txt', which no mock survey writes" OR NOT EXISTS ${WORK}/data/notes.txt)
  message(FATAL_ERROR "mock_survey --overwrite must not remove a file it did not write (rc ${rc}): ${err}")
endif()
file(REMOVE ${WORK}/data/notes.txt)
must(${MOCK} --layout ${LAYOUT} --n 40 --seed 5 --out ${WORK}/data --overwrite)

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

# A killed checkpoint write leaves a temporary file; the next run removes it.
file(WRITE ${WORK}/run/checkpoint.safetensors.tmp-1-2-3 "half a checkpoint")
if(GROWS)
  must(${PROGRAM} train --data ${WORK}/data --epochs 2 --batch-size 8 --out ${WORK}/run --resume --no-progress ${EXTRA})
else()
  # One-cycle spans the run's epochs: a resume with more is another schedule, refused, and the run
  # is left as it was.
  file(SHA256 ${WORK}/run/model.safetensors before)
  run(${PROGRAM} train --data ${WORK}/data --epochs 2 --batch-size 8 --out ${WORK}/run --resume --no-progress ${EXTRA})
  file(SHA256 ${WORK}/run/model.safetensors after)
  if(NOT rc OR NOT err MATCHES "with epochs = '1', this run has epochs = '2'" OR NOT before STREQUAL after)
    message(FATAL_ERROR "a one-cycle resume with other epochs must fail naming both (rc ${rc}): ${err}")
  endif()
  must(${PROGRAM} train --data ${WORK}/data --epochs 2 --batch-size 8 --out ${WORK}/run --overwrite --no-progress ${EXTRA})
endif()
if(EXISTS ${WORK}/run/checkpoint.safetensors.tmp-1-2-3)
  message(FATAL_ERROR "a stale checkpoint temporary was left in place")
endif()
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

# Numeric options out of range: refused before any work, naming the option and the value.
foreach(bad "--epochs;0" "--epochs;-1" "--batch-size;0" "--batch-size;-5" "--lr;-1" "--lr;nan" "--threads;-3"
            "--threads;100000" "--workers;0")
  list(GET bad 0 option)
  list(GET bad 1 value)
  run(${PROGRAM} train --data ${WORK}/data ${option} ${value} --out ${WORK}/range --no-progress)
  if(NOT rc OR NOT err MATCHES "${option}" OR NOT err MATCHES "${value}" OR EXISTS ${WORK}/range)
    message(FATAL_ERROR "${option} ${value} must be refused before any work, naming both (rc ${rc}): ${err}")
  endif()
endforeach()

# A finished run is never replaced by accident: train into its folder without --resume or
# --overwrite is refused and leaves the model as it was.
file(SHA256 ${WORK}/run/model.safetensors before)
run(${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 --out ${WORK}/run --no-progress ${EXTRA})
file(SHA256 ${WORK}/run/model.safetensors after)
if(NOT rc OR NOT err MATCHES "holds an earlier run.*--resume.*--overwrite" OR NOT before STREQUAL after)
  message(FATAL_ERROR "train into a finished run must be refused, the model untouched (rc ${rc}): ${err}")
endif()
# --resume with nothing to resume is an error, not a silent fresh start.
run(${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 --out ${WORK}/fresh --resume --no-progress ${EXTRA})
if(NOT rc OR NOT err MATCHES "no checkpoint to resume" OR EXISTS ${WORK}/fresh/model.safetensors)
  message(FATAL_ERROR "--resume without a checkpoint must fail (rc ${rc}): ${err}")
endif()

if(LAYOUT STREQUAL "wu_boada")
  # --size is recorded in the model and evaluate applies it; a contradicting --size is an error.
  must(${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 --size 64 --out ${WORK}/s64 --no-progress)
  if(NOT out MATCHES "no --weights, so training from scratch with AdamW")
    message(FATAL_ERROR "train without --weights must say it runs the from-scratch recipe:\n${out}")
  endif()
  must(${PROGRAM} evaluate --weights ${WORK}/s64/model.safetensors --data ${WORK}/data --out ${WORK}/s64-eval)
  if(NOT out MATCHES "evaluate: 40 galaxies at 64 px")
    message(FATAL_ERROR "evaluate must run at the model's 64 px:\n${out}")
  endif()
  run(${PROGRAM} evaluate --weights ${WORK}/s64/model.safetensors --data ${WORK}/data --size 32 --out ${WORK}/s32-eval)
  if(NOT rc OR NOT err MATCHES "--size 32 contradicts .*trained on 64 px" OR EXISTS ${WORK}/s32-eval/predictions.csv)
    message(FATAL_ERROR "a --size that contradicts the model must fail naming both (rc ${rc}): ${err}")
  endif()
  # --tta: the mean of five views, so predictions differ from the plain ones.
  must(${PROGRAM} predict --weights ${WORK}/s64/model.safetensors --data ${WORK}/data --out ${WORK}/s64-plain)
  must(${PROGRAM} predict --weights ${WORK}/s64/model.safetensors --data ${WORK}/data --tta --out ${WORK}/s64-tta)
  file(READ ${WORK}/s64-plain/predictions.csv plain)
  file(READ ${WORK}/s64-tta/predictions.csv tta)
  if(tta STREQUAL plain OR NOT tta MATCHES "oh_p50_pred\n1237")
    message(FATAL_ERROR "--tta predictions must differ from the plain ones:\n${tta}")
  endif()
  # The paper's SGDR phases end annealed only after 1, 2, 3, 4, 6, 10… epochs.
  run(${PROGRAM} train --data ${WORK}/data --schedule sgdr --optimizer sgd --epochs 5 --out ${WORK}/sgdr5 --no-progress)
  if(NOT rc OR NOT err MATCHES "--epochs 5 with --schedule sgdr would stop mid-cycle")
    message(FATAL_ERROR "--schedule sgdr --epochs 5 must be refused (rc ${rc}): ${err}")
  endif()
  # Fine-tuning from --weights: the paper's regimen, the body frozen for 2 epochs, then unfrozen.
  must(${PROGRAM} train --data ${WORK}/data --weights ${WORK}/run/model.safetensors --epochs 3 --batch-size 8
       --lr 0.01 --lr-body 0.001 --out ${WORK}/tune --no-progress)
  if(NOT out MATCHES "fine-tuning .* with SGD \\(momentum 0.9\\) and the paper's SGDR phases" OR
     NOT out MATCHES "body unfrozen for epoch 3 on")
    message(FATAL_ERROR "train --weights must run the paper's fine-tuning and unfreeze the body:\n${out}")
  endif()
endif()
message(STATUS "${PROGRAM}: summary, lr-find, train, resume, evaluate, predict, options and bad input all behave")
