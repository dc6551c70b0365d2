# End-to-end check of the figures program and scripts/sweep.sh on a tiny mock survey: the sweep
# trains sfnet once per k and draws each run's test-set RMSE (sweep.csv holds exactly the runs'
# metrics.json values); figures residuals bins the residuals against a catalog column; every
# option's effect and every bad input.
# -DBIN=dir of the programs -DSCRIPT=scripts/sweep.sh -DBASH=bash -DWORK=dir [-DFITS=1]
include(${CMAKE_CURRENT_LIST_DIR}/process.cmake)
file(REMOVE_RECURSE ${WORK})
must(${BIN}/mock_survey --layout sfnet --n 40 --seed 5 --out ${WORK}/data)

# A number from a metrics.json, and equality of two decimal texts as numbers.
function(metric file target name var)
  file(READ ${file} json)
  string(JSON v GET "${json}" ${target} ${name})
  set(${var} ${v} PARENT_SCOPE)
endfunction()
function(expect_same_number a b what)
  if(a LESS b OR a GREATER b OR NOT a MATCHES "^-?[0-9]")
    message(FATAL_ERROR "${what}: ${a} is not ${b}")
  endif()
endfunction()
function(csv_rows file var)  # the data rows (header dropped)
  file(STRINGS ${file} rows)
  list(POP_FRONT rows header)
  set(${var} "${rows}" PARENT_SCOPE)
  set(${var}_header "${header}" PARENT_SCOPE)
endfunction()

# ---- sweep.sh: one run per value, the test set's metric of each, the figure.
set(train --data ${WORK}/data --epochs 1 --batch-size 8 --test-pct 25 --no-progress)
must(${CMAKE_COMMAND} -E env BIN=${BIN} ${BASH} ${SCRIPT} --log-x sfnet k "1 2" ${WORK}/sweep ${train})
csv_rows(${WORK}/sweep/sweep.csv rows)
if(NOT rows_header STREQUAL "x,rmse")
  message(FATAL_ERROR "sweep.csv header is '${rows_header}', not x,rmse")
endif()
list(LENGTH rows n)
if(NOT n EQUAL 2)
  message(FATAL_ERROR "sweep.csv has ${n} runs, not 2: ${rows}")
endif()
foreach(k 1 2)
  math(EXPR i "${k} - 1")
  list(GET rows ${i} row)
  string(REPLACE "," ";" row "${row}")
  list(GET row 0 x)
  list(GET row 1 value)
  if(NOT x STREQUAL "${k}")
    message(FATAL_ERROR "sweep.csv row ${k} is for k = ${x}")
  endif()
  metric(${WORK}/sweep/k-${k}/test/metrics.json oh_p50 rmse expected)
  expect_same_number("${value}" "${expected}" "sweep.csv's RMSE for k = ${k} against its run's test/metrics.json")
  metric(${WORK}/sweep/k-${k}/metrics.json oh_p50 rmse valid)
  if(valid STREQUAL expected)
    message(FATAL_ERROR "k = ${k}: the validation and test RMSE are equal (${valid}): is the test set the validation set?")
  endif()
endforeach()
file(READ ${WORK}/sweep/rmse_vs_k.png sig LIMIT 8 HEX)
if(NOT sig STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "rmse_vs_k.png is not a PNG (${sig})")
endif()
# --metric: another column; the runs' values again. A run directory already there is not replaced.
must(${BIN}/figures sweep --metric nmad --x-label k --csv ${WORK}/nmad.csv --out ${WORK}/nmad.png
     1=${WORK}/sweep/k-1/test/metrics.json 2=${WORK}/sweep/k-2/test/metrics.json)
csv_rows(${WORK}/nmad.csv rows)
list(GET rows 1 row)
string(REPLACE "," ";" row "${row}")
list(GET row 1 value)
metric(${WORK}/sweep/k-2/test/metrics.json oh_p50 nmad expected)
if(NOT rows_header STREQUAL "x,nmad")
  message(FATAL_ERROR "--metric nmad wrote the header '${rows_header}'")
endif()
expect_same_number("${value}" "${expected}" "--metric nmad for k = 2")
run(${CMAKE_COMMAND} -E env BIN=${BIN} ${BASH} ${SCRIPT} sfnet k "1" ${WORK}/sweep ${train})
if(NOT rc OR NOT err MATCHES "holds an earlier run")
  message(FATAL_ERROR "sweep.sh into an earlier sweep must stop rather than replace its runs (rc ${rc}): ${err}")
endif()
# A value that is not a number is refused before anything trains.
run(${CMAKE_COMMAND} -E env BIN=${BIN} ${BASH} ${SCRIPT} sfnet schedule "sgdr one-cycle" ${WORK}/sweep-words ${train})
if(NOT rc OR NOT err MATCHES "'sgdr' is not a number" OR EXISTS ${WORK}/sweep-words)
  message(FATAL_ERROR "sweep.sh over words must stop before training (rc ${rc}): ${err}")
endif()
# --x-label and --log-x change the figure; a setting that is not a number, a missing file, a
# metric or target that is not there, are named.
must(${BIN}/figures sweep --x-label "number of features" --out ${WORK}/lin.png 1=${WORK}/sweep/k-1/test/metrics.json
     2=${WORK}/sweep/k-2/test/metrics.json)
must(${BIN}/figures sweep --x-label k --out ${WORK}/lin-k.png 1=${WORK}/sweep/k-1/test/metrics.json
     2=${WORK}/sweep/k-2/test/metrics.json)
file(SHA256 ${WORK}/lin.png a)
file(SHA256 ${WORK}/lin-k.png b)
file(SHA256 ${WORK}/sweep/rmse_vs_k.png c)
if(a STREQUAL b OR b STREQUAL c)
  message(FATAL_ERROR "--x-label and --log-x must each change the figure")
endif()
foreach(bad "two=${WORK}/sweep/k-1/test/metrics.json;not a finite number"
            "1=${WORK}/none.json;cannot read"
            "1=${WORK}/sweep/k-1/test/metrics.json;--target;lgm;has no rmse of lgm"
            "0=${WORK}/sweep/k-1/test/metrics.json;--log-x;> 0 \\(--log-x\\)")
  list(POP_BACK bad expect)
  run(${BIN}/figures sweep --x-label k --out ${WORK}/bad.png ${bad})
  if(NOT rc OR NOT err MATCHES "${expect}" OR EXISTS ${WORK}/bad.png)
    message(FATAL_ERROR "figures sweep ${bad} must be refused saying '${expect}' (rc ${rc}): ${err}")
  endif()
endforeach()

# ---- residuals: the test set's residuals against stellar mass, in --bins bins.
set(pred ${WORK}/sweep/k-2/test/predictions.csv)
must(${BIN}/figures residuals --predictions ${pred} --catalog ${WORK}/data/galaxies.csv --column lgm_tot_p50
     --bins 3 --csv ${WORK}/bins3.csv --out ${WORK}/res3.png)
if(NOT out MATCHES "10 of 10 galaxies with a finite lgm_tot_p50, 3 bins")
  message(FATAL_ERROR "figures residuals did not report 10 galaxies in 3 bins: ${out}")
endif()
csv_rows(${WORK}/bins3.csv rows)
list(LENGTH rows n)
set(total 0)
foreach(row ${rows})
  string(REPLACE "," ";" row "${row}")
  list(GET row 5 count)
  math(EXPR total "${total} + ${count}")
endforeach()
if(NOT n EQUAL 3 OR NOT total EQUAL 10 OR NOT rows_header STREQUAL "centre,lo,hi,mean,std,count")
  message(FATAL_ERROR "--bins 3 must write 3 bins holding the 10 test galaxies: ${rows_header} ${rows}")
endif()
must(${BIN}/figures residuals --predictions ${pred} --catalog ${WORK}/data/galaxies.csv --column lgm_tot_p50
     --target oh_p50 --x-label "log stellar mass" --csv ${WORK}/bins10.csv --out ${WORK}/res10.png)
csv_rows(${WORK}/bins10.csv rows)
list(LENGTH rows n)
if(NOT n EQUAL 10)
  message(FATAL_ERROR "the default of 10 bins wrote ${n}")
endif()
# The bins' values, on a table whose answer is known: masses 1–4 with residuals 0.5–3.5 give
# two bins of mean 1 and 3, σ 0.5, centres 1.75 and 3.25 (the catalog's rows in another order,
# after a comment line).
file(WRITE ${WORK}/known_pred.csv "objID,oh_true,oh_pred\n11,0,0.5\n12,0,1.5\n13,0,2.5\n14,0,3.5\n")
file(WRITE ${WORK}/known_cat.csv "# masses\nobjID,mass\n14,4\n13,3\n12,2\n11,1\n")
must(${BIN}/figures residuals --predictions ${WORK}/known_pred.csv --catalog ${WORK}/known_cat.csv --column mass
     --bins 2 --csv ${WORK}/known.csv --out ${WORK}/known.png)
file(READ ${WORK}/known.csv known)
if(NOT known STREQUAL "centre,lo,hi,mean,std,count\n1.75,1,2.5,1,0.5,2\n3.25,2.5,4,3,0.5,2\n")
  message(FATAL_ERROR "the bins of a known table are wrong:\n${known}")
endif()
file(SHA256 ${WORK}/res10.png a)
must(${BIN}/figures residuals --predictions ${pred} --catalog ${WORK}/data/galaxies.csv --column lgm_tot_p50
     --out ${WORK}/res10-plain.png)
file(SHA256 ${WORK}/res10-plain.png b)
if(a STREQUAL b)
  message(FATAL_ERROR "--x-label must change the figure")
endif()
file(STRINGS ${WORK}/data/galaxies.csv lines LIMIT_COUNT 5)
list(JOIN lines "\n" few)
file(WRITE ${WORK}/few.csv "${few}\n")
set(cat --catalog ${WORK}/data/galaxies.csv)
foreach(bad "${cat};--column;no_such;missing column\\(s\\) \"no_such\""
            "${cat};--column;lgm_tot_p50;--target;lgm;has no lgm_true and lgm_pred"
            "--catalog;${WORK}/few.csv;--column;lgm_tot_p50;is not in"
            "${cat};--column;lgm_tot_p50;--bins;0;--bins")
  list(POP_BACK bad expect)
  run(${BIN}/figures residuals --predictions ${pred} ${bad} --out ${WORK}/bad.png)
  if(NOT rc OR NOT err MATCHES "${expect}" OR EXISTS ${WORK}/bad.png)
    message(FATAL_ERROR "figures residuals ${bad} must be refused saying '${expect}' (rc ${rc}): ${err}")
  endif()
endforeach()
