// galnet/fits.hpp — FITS cutouts (with the asinh stretch) and FITS catalogs (optional part: link
// galnet::fits, which needs CFITSIO).
#pragma once
#include "galnet/data/fits.hpp"
#include "galnet/data/fits_table.hpp"
