# End-to-end check of an image program (sfnet, wu_boada, spin_cnn) on a tiny mock survey:
# summary, lr-find, train (1 epoch), train --resume to 2 epochs, evaluate, predict, bad input,
# each option's effect on values, and what protects a user's runs: option ranges, a resume that
# must match, outputs never replaced by accident.
# -DPROGRAM=path -DMOCK=path/to/mock_survey -DCSV_CHECK=path/to/galnet_csv_check -DLAYOUT=sfnet
# -DWORK=dir -DPARAMS=11,177,025 [-DEXTRA=...] [-DGROWS=1: --resume may add epochs (not under one-cycle)]
# [-DFITS=1: the programs and mock_survey read and write FITS (built with CFITSIO)]
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
# The survey is a function of --seed and --n alone: one thread writes the same files; another
# seed, other galaxies.
must(${MOCK} --layout ${LAYOUT} --n 40 --seed 5 --threads 1 --out ${WORK}/data-t1)
must(${MOCK} --layout ${LAYOUT} --n 40 --seed 6 --out ${WORK}/data-s6)
file(GLOB_RECURSE files RELATIVE ${WORK}/data ${WORK}/data/*)
list(LENGTH files nfiles)
if(NOT nfiles EQUAL 41)
  message(FATAL_ERROR "--n 40 must write a catalog and 40 cutouts, not ${nfiles} files")
endif()
foreach(f ${files})
  file(SHA256 ${WORK}/data/${f} a)
  file(SHA256 ${WORK}/data-t1/${f} b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "mock_survey --threads 1 wrote another ${f}")
  endif()
endforeach()
file(GLOB catalog ${WORK}/data/*.csv)
get_filename_component(catalog ${catalog} NAME)
file(READ ${WORK}/data/${catalog} a)
file(READ ${WORK}/data-s6/${catalog} b)
if(a STREQUAL b)
  message(FATAL_ERROR "mock_survey --seed 6 wrote the --seed 5 catalog")
endif()
file(REMOVE_RECURSE ${WORK}/data-t1 ${WORK}/data-s6)

must(${PROGRAM} summary)
if(NOT out MATCHES "Trainable params: ${PARAMS}")
  message(FATAL_ERROR "summary does not end with 'Trainable params: ${PARAMS}':\n${out}")
endif()

# lr-find: 12 batches across epochs (28–32 training galaxies, batch 8), a curve and suggestions, no model.
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
string(REGEX REPLACE "^objID,([^,]+)_true.*" "\\1" target "${header}")

# ---- Each option does what it says, checked on values (csv_check matches rows by objID).
# --catalog and --images: the catalog's rows in reverse order, the cutouts --data implies. Each
# galaxy's prediction is its own, wherever its row (no augmentation outside --tta).
file(GLOB catalog_file ${WORK}/data/*.csv)
file(GLOB image_dir LIST_DIRECTORIES true ${WORK}/data/images*)
file(STRINGS ${catalog_file} rows)
list(POP_FRONT rows catalog_header)
list(REVERSE rows)
list(JOIN rows "\n" rows)
file(WRITE ${WORK}/reversed.csv "${catalog_header}\n${rows}\n")
must(${PROGRAM} evaluate --weights ${WORK}/run/model.safetensors --catalog ${WORK}/reversed.csv --images ${image_dir}
     --out ${WORK}/eval-files)
must(${CSV_CHECK} close ${WORK}/eval/predictions.csv ${target}_pred ${WORK}/eval-files/predictions.csv ${target}_pred 1e-5)
# A FITS catalog: the survey's catalog as astropy writes it (tests/fixtures/mock_seed5_n40.fits,
# tools/fits_fixtures.py) gives the CSV's labels and predictions for the same 64-bit objIDs;
# --output writes the predictions as a FITS table, read back exactly; --output into a missing
# folder is refused before any work.
if(FITS)
  must(${PROGRAM} evaluate --weights ${WORK}/run/model.safetensors --catalog ${FIXTURES}/mock_seed5_n40.fits
       --images ${image_dir} --out ${WORK}/eval-fits --output ${WORK}/eval-fits/predictions.fits)
  must(${CSV_CHECK} close ${WORK}/eval/predictions.csv ${target}_true ${WORK}/eval-fits/predictions.fits ${target}_true 0)
  must(${CSV_CHECK} close ${WORK}/eval/predictions.csv ${target}_pred ${WORK}/eval-fits/predictions.fits ${target}_pred 0)
  must(${CSV_CHECK} rows ${WORK}/eval-fits/predictions.fits 40)
  if(EXISTS ${WORK}/eval-fits/predictions.csv)
    message(FATAL_ERROR "evaluate --output predictions.fits must write the table there, not predictions.csv")
  endif()
  run(${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data --output ${WORK}/none/p.fits
      --out ${WORK}/pred-nowhere)
  if(NOT rc OR NOT err MATCHES "--output.*none/p.fits.*does not exist" OR EXISTS ${WORK}/pred-nowhere/predictions.csv)
    message(FATAL_ERROR "predict --output into a missing folder must be refused before any work (rc ${rc}): ${err}")
  endif()
endif()
# --split-column: the catalog's own sets, here by row order 30 train, 5 valid, 5 test; it
# replaces --valid-pct, and a value other than train, valid or test is an error naming the line.
file(STRINGS ${catalog_file} rows)
list(POP_FRONT rows)
set(k 0)
set(labelled "${catalog_header},split")
set(split_valid)
set(split_test)
foreach(row ${rows})
  set(part train)
  if(k GREATER_EQUAL 35)
    set(part test)
  elseif(k GREATER_EQUAL 30)
    set(part valid)
  endif()
  string(REGEX REPLACE ",.*" "" id "${row}")
  if(part STREQUAL "valid")
    list(APPEND split_valid ${id})
  elseif(part STREQUAL "test")
    list(APPEND split_test ${id})
  endif()
  string(APPEND labelled "\n${row},${part}")
  math(EXPR k "${k} + 1")
endforeach()
file(WRITE ${WORK}/split.csv "${labelled}\n")
must(${PROGRAM} train --catalog ${WORK}/split.csv --images ${image_dir} --split-column split --epochs 1 --batch-size 8
     --out ${WORK}/bycol --no-progress ${EXTRA})
file(STRINGS ${WORK}/bycol/predictions.csv got_valid REGEX "^[0-9]")
file(STRINGS ${WORK}/bycol/test/predictions.csv got_test REGEX "^[0-9]")
string(REGEX REPLACE ",[^;]*" "" got_valid "${got_valid}")
string(REGEX REPLACE ",[^;]*" "" got_test "${got_test}")
foreach(l split_valid split_test got_valid got_test)
  list(SORT ${l})
endforeach()
if(NOT got_valid STREQUAL split_valid OR NOT got_test STREQUAL split_test)
  message(FATAL_ERROR "--split-column split: validation ${got_valid} (expected ${split_valid}), test ${got_test} "
          "(expected ${split_test})")
endif()
run(${PROGRAM} train --catalog ${WORK}/split.csv --images ${image_dir} --split-column split --valid-pct 10
    --out ${WORK}/bycol-pct --no-progress)
if(NOT rc OR NOT err MATCHES "--split-column" OR NOT err MATCHES "--valid-pct" OR EXISTS ${WORK}/bycol-pct)
  message(FATAL_ERROR "--split-column with --valid-pct must be refused (rc ${rc}): ${err}")
endif()
string(REPLACE ",test\n" ",holdout\n" holdout "${labelled}\n")
file(WRITE ${WORK}/holdout.csv "${holdout}")
run(${PROGRAM} train --catalog ${WORK}/holdout.csv --images ${image_dir} --split-column split --epochs 1
    --out ${WORK}/holdout --no-progress)
if(NOT rc OR NOT err MATCHES "holdout.csv: line 37, column \"split\": 'holdout' is not train, valid or test"
   OR EXISTS ${WORK}/holdout/model.safetensors)
  message(FATAL_ERROR "a split value other than train/valid/test must be refused naming the line (rc ${rc}): ${err}")
endif()

# --threads, --workers and --batch-size change how the work is done, not its result.
must(${PROGRAM} evaluate --weights ${WORK}/run/model.safetensors --data ${WORK}/data --threads 1 --workers 1
     --batch-size 3 --out ${WORK}/eval-serial)
must(${CSV_CHECK} close ${WORK}/eval/predictions.csv ${target}_pred ${WORK}/eval-serial/predictions.csv ${target}_pred 1e-5)
# --image-ext: the cutouts' extension is found in the folder, here lossless PNG cutouts of the
# same galaxies (mock_survey --format png); given, it is used; a folder without such files is
# an error naming the file looked for.
must(${MOCK} --layout ${LAYOUT} --n 40 --seed 5 --format png --out ${WORK}/data-png)
file(GLOB_RECURSE pngs ${WORK}/data-png/*.png)
list(LENGTH pngs npng)
if(NOT npng EQUAL 40)
  message(FATAL_ERROR "mock_survey --format png must write 40 PNG cutouts, not ${npng}")
endif()
must(${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data-png --out ${WORK}/pred-png)
must(${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data-png --image-ext png
     --out ${WORK}/pred-png-given)
must(${CSV_CHECK} close ${WORK}/pred-png/predictions.csv ${target}_pred ${WORK}/pred-png-given/predictions.csv
     ${target}_pred 0)
file(STRINGS ${WORK}/pred-png/predictions.csv rows)
list(LENGTH rows n)
if(NOT n EQUAL 41)
  message(FATAL_ERROR "predict on PNG cutouts should predict all 40 galaxies; predictions.csv has ${n} lines")
endif()
run(${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data-png --image-ext jpg
    --out ${WORK}/pred-png-jpg)
if(NOT rc OR NOT err MATCHES "\\.jpg" OR EXISTS ${WORK}/pred-png-jpg/predictions.csv)
  message(FATAL_ERROR "--image-ext jpg on PNG cutouts must fail naming a .jpg file (rc ${rc}): ${err}")
endif()
run(${MOCK} --layout ${LAYOUT} --n 4 --format gif --out ${WORK}/data-gif)
if(NOT rc OR NOT err MATCHES "--format" OR EXISTS ${WORK}/data-gif)
  message(FATAL_ERROR "mock_survey --format gif must be refused (rc ${rc}): ${err}")
endif()
# FITS cutouts: mock_survey --format fits writes each galaxy's g, r, i fluxes, whose asinh stretch
# with Q = 4 and stretch = 0.4 gives the PNGs' colours. The program finds the .fits files,
# stretches them as --asinh-q and --asinh-stretch say, and predicts what it predicts from the PNGs
# (to their 8-bit rounding); either parameter alone (the other at astropy's default) gives other
# predictions; values out of range are refused before any work.
if(FITS)
  must(${MOCK} --layout ${LAYOUT} --n 40 --seed 5 --format fits --out ${WORK}/data-fits)
  file(GLOB_RECURSE fits ${WORK}/data-fits/*.fits)
  list(LENGTH fits nfits)
  if(NOT nfits EQUAL 40)
    message(FATAL_ERROR "mock_survey --format fits must write 40 FITS cutouts, not ${nfits}")
  endif()
  set(mock_stretch --asinh-q 4 --asinh-stretch 0.4)
  must(${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data-fits ${mock_stretch}
       --out ${WORK}/pred-fits)
  must(${CSV_CHECK} close ${WORK}/pred-png/predictions.csv ${target}_pred ${WORK}/pred-fits/predictions.csv
       ${target}_pred 1e-3)
  foreach(one "--asinh-q;4" "--asinh-stretch;0.4")
    must(${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data-fits --image-ext fits ${one}
         --out ${WORK}/pred-fits-one)
    run(${CSV_CHECK} close ${WORK}/pred-png/predictions.csv ${target}_pred ${WORK}/pred-fits-one/predictions.csv
        ${target}_pred 1e-3)
    if(NOT rc)
      message(FATAL_ERROR "FITS cutouts stretched with ${one} alone must give other predictions than the PNGs")
    endif()
  endforeach()
  foreach(bad "--asinh-q;0" "--asinh-stretch;nan" "--asinh-stretch;-1")
    run(${PROGRAM} predict --weights ${WORK}/run/model.safetensors --data ${WORK}/data-fits ${bad}
        --out ${WORK}/pred-fits-bad)
    list(GET bad 0 option)
    if(NOT rc OR NOT err MATCHES "${option}" OR EXISTS ${WORK}/pred-fits-bad)
      message(FATAL_ERROR "predict ${bad} must be refused naming ${option} (rc ${rc}): ${err}")
    endif()
  endforeach()
  file(REMOVE_RECURSE ${WORK}/data-fits)
else()
  run(${MOCK} --layout ${LAYOUT} --n 4 --format fits --out ${WORK}/data-fits)
  if(NOT rc OR NOT err MATCHES "CFITSIO")
    message(FATAL_ERROR "mock_survey --format fits without CFITSIO must say so (rc ${rc}): ${err}")
  endif()
endif()
file(REMOVE_RECURSE ${WORK}/data-png)

# --seed: the same seed trains the same model byte for byte (here once on a terminal, where the
# progress bar shows, which --no-progress turns off).
set(split20 --valid-pct 20 --test-pct 0)  # every program's split alike (spin's default is 70/15/15)
must(${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 --seed 3 --lr 0.004 ${split20} --out ${WORK}/seed3
     --no-progress ${EXTRA})
if(NOT err MATCHES "epoch 1/1  train loss" OR err MATCHES "\\[#")
  message(FATAL_ERROR "train --no-progress must print plain epoch lines:\n${err}")
endif()
string(JOIN " " again ${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 --seed 3 --lr 0.004 ${split20}
       --out ${WORK}/seed3-again ${EXTRA})
must(script -qec "${again}" /dev/null INPUT_FILE /dev/null)
if(NOT out MATCHES "epoch 1/1 \\[[#.]+\\] [0-9]+/[0-9]+  loss")
  message(FATAL_ERROR "train on a terminal must draw a progress bar:\n${out}")
endif()
file(SHA256 ${WORK}/seed3/model.safetensors a)
file(SHA256 ${WORK}/seed3-again/model.safetensors b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "two runs with --seed 3 must write the same model")
endif()
# --lr: every schedule scales with it, so twice the rate gives twice each epoch's rate.
must(${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 --seed 3 --lr 0.008 ${split20} --out ${WORK}/lr2
     --no-progress ${EXTRA})
must(${CSV_CHECK} close ${WORK}/seed3/history.csv lr ${WORK}/lr2/history.csv lr 1e-6 2)
# Another --seed draws another validation split; --valid-pct sets its size; --target log_COL
# regresses log10 of COL, and evaluate takes the target from the model.
must(${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 --seed 4 --valid-pct 50 --test-pct 0
     --target log_r_eff_arcsec --out ${WORK}/seed4 --no-progress ${EXTRA})
file(STRINGS ${WORK}/seed3/predictions.csv ids3 REGEX "^[0-9]")
file(STRINGS ${WORK}/seed4/predictions.csv ids4)
list(LENGTH ids3 n3)
list(LENGTH ids4 n4)
list(GET ids4 0 header4)
string(REGEX REPLACE ",[^;]*" "" ids3 "${ids3}")
string(REGEX REPLACE ",[^;]*" "" ids4 "${ids4}")
list(SUBLIST ids4 1 ${n3} first4)
if(NOT n3 EQUAL 8 OR NOT n4 EQUAL 21 OR ids3 STREQUAL first4 OR
   NOT header4 MATCHES "^objID,log_r_eff_arcsec_true,log_r_eff_arcsec_pred$")
  message(FATAL_ERROR "--seed 4 --valid-pct 50 --target log_r_eff_arcsec: expected 20 other validation galaxies "
          "(8 with --valid-pct 20) and that target; got ${n3} and ${n4} lines, header '${header4}'")
endif()
must(${PROGRAM} evaluate --weights ${WORK}/seed4/model.safetensors --data ${WORK}/data --out ${WORK}/seed4-eval)
file(STRINGS ${WORK}/seed4-eval/predictions.csv rows LIMIT_COUNT 1)
if(NOT rows MATCHES "^objID,log_r_eff_arcsec_true,log_r_eff_arcsec_pred$")
  message(FATAL_ERROR "evaluate must take the target from the model: ${rows}")
endif()
# --batch-size is part of a run: a resume with another is refused, naming both.
run(${PROGRAM} train --data ${WORK}/data --epochs 2 --batch-size 4 --seed 3 --lr 0.004 ${split20} --out ${WORK}/seed3
    --resume --no-progress ${EXTRA})
if(NOT rc OR NOT err MATCHES "batch_size = '8', this run has batch_size = '4'")
  message(FATAL_ERROR "a resume with another --batch-size must be refused (rc ${rc}): ${err}")
endif()

# --test-pct holds a test set out of training and validation: its metrics and predictions in
# test/, none of its galaxies in the validation set. --early-stop 1 stops after the first epoch
# that does not lower the validation loss; model_best.safetensors is the epoch with the lowest.
must(${PROGRAM} train --data ${WORK}/data --epochs 3 --batch-size 8 --valid-pct 25 --test-pct 25 --early-stop 1
     --out ${WORK}/split --no-progress ${EXTRA})
expect_files(${WORK}/split model_best.safetensors test/metrics.json test/predictions.csv)
file(STRINGS ${WORK}/split/predictions.csv valid_ids REGEX "^[0-9]")
file(STRINGS ${WORK}/split/test/predictions.csv test_ids REGEX "^[0-9]")
string(REGEX REPLACE ",[^;]*" "" valid_ids "${valid_ids}")
string(REGEX REPLACE ",[^;]*" "" test_ids "${test_ids}")
list(LENGTH valid_ids nv)
list(LENGTH test_ids nt)
if(NOT nv EQUAL 10 OR NOT nt EQUAL 10 OR NOT out MATCHES "test set \\(10 galaxies\\)")
  message(FATAL_ERROR "--valid-pct 25 --test-pct 25 of 40: expected 10 validation and 10 test galaxies, got ${nv} and ${nt}:\n${out}")
endif()
foreach(id ${test_ids})
  list(FIND valid_ids ${id} at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "test galaxy ${id} is also in the validation set")
  endif()
endforeach()
file(STRINGS ${WORK}/split/history.csv history)
list(POP_FRONT history)
list(LENGTH history epochs)
set(k 0)
set(best 0)
foreach(row ${history})
  math(EXPR k "${k} + 1")
  string(REGEX REPLACE "^[^,]*,[^,]*,([^,]*),.*" "\\1" loss "${row}")
  set(improved 0)
  if(best EQUAL 0 OR loss LESS lowest)
    set(best ${k})
    set(lowest ${loss})
    set(improved 1)
  endif()
  if(k LESS epochs AND NOT improved)
    message(FATAL_ERROR "--early-stop 1 must stop after epoch ${k}, which did not lower the validation loss:\n${history}")
  endif()
endforeach()
if(epochs LESS 3 AND improved)
  message(FATAL_ERROR "--early-stop 1 stopped after epoch ${epochs}, which lowered the validation loss:\n${history}")
endif()
file(STRINGS ${WORK}/split/model_best.safetensors header REGEX "galnet\\.epoch")
if(NOT header MATCHES "\"galnet\\.epoch\": *\"${best}\"" OR NOT out MATCHES "lowest validation loss [^ ]+ at epoch ${best}")
  message(FATAL_ERROR "model_best.safetensors must hold epoch ${best}, the lowest validation loss:\n${history}\n${out}")
endif()

# Bad input: an image folder that does not exist. Non-zero exit, a message naming it, no model.
run(${PROGRAM} train --data ${WORK}/data --images ${WORK}/no-such-folder --epochs 1 --out ${WORK}/bad --no-progress)
if(NOT rc OR NOT err MATCHES "no-such-folder" OR EXISTS ${WORK}/bad/model.safetensors)
  message(FATAL_ERROR "a missing image folder must fail clearly (rc ${rc}): ${err}")
endif()
# A GPU mode without --device cuda: non-zero exit, a message saying what to give, no model.
foreach(mode bf16 tf32)
  run(${PROGRAM} train --data ${WORK}/data --epochs 1 --out ${WORK}/${mode} --${mode} --no-progress)
  if(NOT rc OR NOT err MATCHES "--${mode} is a GPU mode; give it with --device cuda" OR EXISTS ${WORK}/${mode})
    message(FATAL_ERROR "--${mode} on the CPU must fail clearly (rc ${rc}): ${err}")
  endif()
endforeach()

# Numeric options out of range: refused before any work, naming the option and the value.
foreach(bad "--epochs;0" "--epochs;-1" "--batch-size;0" "--batch-size;-5" "--lr;-1" "--lr;nan" "--threads;-3"
            "--threads;100000" "--workers;0" "--valid-pct;0" "--valid-pct;95" "--valid-pct;nan" "--test-pct;-1"
            "--test-pct;95" "--test-pct;nan" "--early-stop;0" "--early-stop;-2")
  list(GET bad 0 option)
  list(GET bad 1 value)
  run(${PROGRAM} train --data ${WORK}/data ${option} ${value} --out ${WORK}/range --no-progress)
  if(NOT rc OR NOT err MATCHES "${option}" OR NOT err MATCHES "${value}" OR EXISTS ${WORK}/range)
    message(FATAL_ERROR "${option} ${value} must be refused before any work, naming both (rc ${rc}): ${err}")
  endif()
endforeach()

run(${PROGRAM} train --data ${WORK}/data --valid-pct 60 --test-pct 40 --out ${WORK}/range --no-progress)
if(NOT rc OR NOT err MATCHES "--valid-pct 60 and --test-pct 40 leave no galaxies for training" OR EXISTS ${WORK}/range)
  message(FATAL_ERROR "--valid-pct 60 --test-pct 40 must be refused before any work, naming both (rc ${rc}): ${err}")
endif()

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

if(LAYOUT STREQUAL "sfnet")
  must(${PROGRAM} summary --k 3)
  if(NOT out MATCHES "TopK\\(k=3\\)")
    message(FATAL_ERROR "summary --k 3 must show a top-3 layer:\n${out}")
  endif()
  must(${PROGRAM} --help)
  if(NOT out MATCHES "interpret +which sparse features fire")
    message(FATAL_ERROR "sfnet --help must list interpret:\n${out}")
  endif()
  # A model file whose galnet.k is not a number: the error names the file, the key and the value.
  file(COPY_FILE ${WORK}/run/model.safetensors ${WORK}/bad-k.safetensors)
  must(sed -i "s/\\(\"galnet\\.k\": *\"\\)2\"/\\1x\"/" ${WORK}/bad-k.safetensors)
  run(${PROGRAM} evaluate --weights ${WORK}/bad-k.safetensors --data ${WORK}/data --out ${WORK}/bad-k)
  if(NOT rc OR NOT err MATCHES "bad-k.safetensors': metadata galnet.k = 'x' is not an integer in \\[1, 512\\]"
     OR EXISTS ${WORK}/bad-k)
    message(FATAL_ERROR "a model with galnet.k = 'x' must be refused naming file, key and value (rc ${rc}): ${err}")
  endif()
endif()
if(LAYOUT STREQUAL "spin")
  # --winograd-5x5: another algorithm for the 5x5 layer, the same predictions to float accuracy.
  must(${PROGRAM} evaluate --weights ${WORK}/run/model.safetensors --data ${WORK}/data --winograd-5x5 --out ${WORK}/wino)
  must(${CSV_CHECK} close ${WORK}/eval/predictions.csv ${target}_pred ${WORK}/wino/predictions.csv ${target}_pred 1e-4)
  # That it runs another algorithm shows in training: its forward and data gradient round
  # otherwise, so one epoch from the same seed ends in other weights. (A trained model's
  # predictions may hide the difference below float resolution, as on AVX-512 hosts.)
  foreach(w plain wino)
    set(flag)
    if(w STREQUAL "wino")
      set(flag --winograd-5x5)
    endif()
    must(${PROGRAM} train --data ${WORK}/data --epochs 1 --batch-size 8 ${flag} --out ${WORK}/epoch-${w} --no-progress)
    file(SHA256 ${WORK}/epoch-${w}/model.safetensors sha_${w})
  endforeach()
  if(sha_wino STREQUAL sha_plain)
    message(FATAL_ERROR "train --winograd-5x5 must run another algorithm for the 5x5 layer (its rounding differs)")
  endif()
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
  # --tta: the mean of five views, the first the plain image; so not the plain prediction.
  must(${PROGRAM} predict --weights ${WORK}/s64/model.safetensors --data ${WORK}/data --out ${WORK}/s64-plain)
  must(${PROGRAM} predict --weights ${WORK}/s64/model.safetensors --data ${WORK}/data --tta --out ${WORK}/s64-tta)
  set(views oh_p50_tta0 oh_p50_tta1 oh_p50_tta2 oh_p50_tta3 oh_p50_tta4)
  must(${CSV_CHECK} mean ${WORK}/s64-tta/predictions.csv oh_p50_pred 1e-6 ${views})
  must(${CSV_CHECK} close ${WORK}/s64-plain/predictions.csv oh_p50_pred ${WORK}/s64-tta/predictions.csv oh_p50_tta0 0)
  run(${CSV_CHECK} close ${WORK}/s64-plain/predictions.csv oh_p50_pred ${WORK}/s64-tta/predictions.csv oh_p50_pred 1e-6)
  if(NOT rc EQUAL 1)
    message(FATAL_ERROR "--tta predictions must differ from the plain ones (rc ${rc}): ${out}${err}")
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
  # --lr-body and --wd each change the trained model; --optimizer adamw --schedule one-cycle
  # fine-tune with those, the rate annealing at the end.
  set(tune train --data ${WORK}/data --weights ${WORK}/s64/model.safetensors --epochs 3 --batch-size 8 --size 64
      --lr 0.01 --no-progress)
  must(${PROGRAM} ${tune} --out ${WORK}/tune-flat)
  must(${PROGRAM} ${tune} --lr-body 0.001 --out ${WORK}/tune-body)
  must(${PROGRAM} ${tune} --wd 0.5 --out ${WORK}/tune-wd)
  must(${PROGRAM} ${tune} --optimizer adamw --schedule one-cycle --out ${WORK}/tune-adamw)
  if(NOT out MATCHES "fine-tuning .* with AdamW and one-cycle")
    message(FATAL_ERROR "--optimizer adamw --schedule one-cycle must fine-tune with those:\n${out}")
  endif()
  file(STRINGS ${WORK}/tune-adamw/history.csv rows)
  list(GET rows -1 last)
  string(REGEX REPLACE "^[^,]*,[^,]*,[^,]*,([^,]*),.*" "\\1" lr "${last}")
  if(NOT lr LESS 1e-3)  # the last of 12 steps: 3e-4, on its way to 1e-7
    message(FATAL_ERROR "one-cycle must end annealing, far below --lr 0.01: ${last}")
  endif()
  file(SHA256 ${WORK}/tune-flat/model.safetensors flat)
  foreach(other tune-body tune-wd tune-adamw)
    file(SHA256 ${WORK}/${other}/model.safetensors h)
    if(h STREQUAL flat)
      message(FATAL_ERROR "${other} trained the same model as the plain fine-tune")
    endif()
  endforeach()
  run(${PROGRAM} train --data ${WORK}/data --wd nan --out ${WORK}/wd-nan --no-progress)
  if(NOT rc OR NOT err MATCHES "--wd" OR NOT err MATCHES "nan" OR EXISTS ${WORK}/wd-nan)
    message(FATAL_ERROR "--wd nan must be refused before any work (rc ${rc}): ${err}")
  endif()
endif()
message(STATUS "${PROGRAM}: summary, lr-find, train, resume, evaluate, predict, options and bad input all behave")
